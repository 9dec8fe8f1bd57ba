package dev.peft4j.cli;

import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The paths a command reads and the paths it writes, declared before any work and checked
 * together by {@link #check()}, so that a command never harms a file:
 *
 * <ul>
 *   <li>inputs exist, can be read, and are regular files (or directories where one is expected,
 *       every visible file in them regular too, so a FIFO cannot hang a read);
 *   <li>outputs are regular files or new paths, never a device, a FIFO or an existing directory
 *       where a file is expected, in a directory that can be written;
 *   <li>no output overlaps an input: not the same path, not the same file through a symlink or a
 *       hard link (a file inside an input directory included), not inside an input directory, and
 *       no input inside a directory the command replaces.
 * </ul>
 *
 * Each problem is a {@link PeftException} with a one-line message naming the path, its flag, the
 * cause and the fix. Nothing is created by the check.
 */
public final class CommandPaths {

    private static final int DIRECTORY_DEPTH = 4;
    private static final String NOT_A_DIRECTORY = "Not a directory";

    private enum InputKind {
        FILE,
        DIRECTORY,
        FILE_OR_DIRECTORY
    }

    private enum OutputKind {
        FILE,
        NEW_DIRECTORY,
        REPLACED_DIRECTORY,
        DIRECTORY_WRITTEN_INTO
    }

    private record Input(String flag, Path path, InputKind kind) {}

    private record Output(String flag, Path path, OutputKind kind, Set<String> ownEntries) {}

    /** What an input resolved to: its real path, whether it is a directory, and its files by file key. */
    private record ResolvedInput(Input input, Path real, boolean directory, Map<Object, Path> files) {}

    private final List<Input> inputs = new ArrayList<>();
    private final List<Output> outputs = new ArrayList<>();

    /**
     * Declares a file the command reads.
     *
     * @param flag the option that names it, for messages
     * @param file the file; {@code null} declares nothing
     * @return this
     */
    public CommandPaths readsFile(String flag, Path file) {
        return input(flag, file, InputKind.FILE);
    }

    /**
     * Declares a directory the command reads (every file in it counts as an input).
     *
     * @param flag the option that names it
     * @param directory the directory; {@code null} declares nothing
     * @return this
     */
    public CommandPaths readsDirectory(String flag, Path directory) {
        return input(flag, directory, InputKind.DIRECTORY);
    }

    /**
     * Declares an input that may be a file or a directory.
     *
     * @param flag the option that names it
     * @param path the file or directory; {@code null} declares nothing
     * @return this
     */
    public CommandPaths readsFileOrDirectory(String flag, Path path) {
        return input(flag, path, InputKind.FILE_OR_DIRECTORY);
    }

    /**
     * Declares a file the command writes (atomically): absent, or a regular file it replaces.
     *
     * @param flag the option that names it
     * @param file the file
     * @return this
     */
    public CommandPaths writesFile(String flag, Path file) {
        return output(flag, file, OutputKind.FILE, Set.of());
    }

    /**
     * Declares a directory the command creates; it must not exist.
     *
     * @param flag the option that names it
     * @param directory the directory
     * @return this
     */
    public CommandPaths writesNewDirectory(String flag, Path directory) {
        return output(flag, directory, OutputKind.NEW_DIRECTORY, Set.of());
    }

    /**
     * Declares a directory the command replaces as a whole with a new set of outputs: absent, or a
     * directory holding nothing but those outputs (an earlier run's).
     *
     * @param flag the option that names it
     * @param directory the directory
     * @param ownEntries the names of the outputs the command puts in it
     * @return this
     */
    public CommandPaths replacesDirectory(String flag, Path directory, Set<String> ownEntries) {
        return output(flag, directory, OutputKind.REPLACED_DIRECTORY, Set.copyOf(ownEntries));
    }

    /**
     * Declares a directory the command writes entries into, keeping what else it holds; declare
     * the entries it replaces separately.
     *
     * @param flag the option that names it
     * @param directory the directory
     * @return this
     */
    public CommandPaths writesInto(String flag, Path directory) {
        return output(flag, directory, OutputKind.DIRECTORY_WRITTEN_INTO, Set.of());
    }

    /**
     * Checks every declared path, creating nothing.
     *
     * @throws PeftException with a one-line message at the first problem
     */
    public void check() {
        List<ResolvedInput> resolved = new ArrayList<>();
        for (Input input : inputs) {
            resolved.add(resolve(input));
        }
        Set<Path> createdDirectories = new HashSet<>();
        outputs.stream()
                .filter(output -> output.kind() != OutputKind.FILE)
                .forEach(output ->
                        createdDirectories.add(output.path().toAbsolutePath().normalize()));
        for (Output output : outputs) {
            Path real = checkOutput(output, createdDirectories);
            for (ResolvedInput input : resolved) {
                requireNoOverlap(output, real, input);
            }
        }
    }

    private CommandPaths input(String flag, Path path, InputKind kind) {
        if (path != null) {
            inputs.add(new Input(flag, path, kind));
        }
        return this;
    }

    private CommandPaths output(String flag, Path path, OutputKind kind, Set<String> ownEntries) {
        outputs.add(new Output(flag, path, kind, ownEntries));
        return this;
    }

    private static ResolvedInput resolve(Input input) {
        Path path = input.path();
        BasicFileAttributes attributes = attributes(path)
                .orElseThrow(() -> new PeftException(named(path, input.flag()) + " does not exist; check the path"));
        boolean directory = attributes.isDirectory();
        if (directory && input.kind() == InputKind.FILE) {
            throw new PeftException(named(path, input.flag()) + " is a directory; " + input.flag() + " takes a file");
        }
        if (!directory && input.kind() == InputKind.DIRECTORY) {
            throw new PeftException(named(path, input.flag()) + " is " + FileKind.of(path, attributes) + "; "
                    + input.flag() + " takes a directory");
        }
        if (!directory && !attributes.isRegularFile()) {
            throw notRegular(named(path, input.flag()), path, attributes);
        }
        requireReadable(path, input.flag(), directory);
        Map<Object, Path> files = new LinkedHashMap<>();
        if (directory) {
            collectFiles(path, input.flag(), files);
        } else {
            files.put(key(path, attributes), path);
        }
        return new ResolvedInput(input, realPath(path), directory, files);
    }

    /** Every visible file under a directory (following links, a few levels deep), each checked regular and readable. */
    private static void collectFiles(Path directory, String flag, Map<Object, Path> files) {
        try {
            Files.walkFileTree(
                    directory, EnumSet.of(FileVisitOption.FOLLOW_LINKS), DIRECTORY_DEPTH, new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                            if (!dir.equals(directory) && hidden(dir)) {
                                return FileVisitResult.SKIP_SUBTREE;
                            }
                            requireReadable(dir, flag, true);
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                            if (hidden(file) || attributes.isDirectory()) {
                                return FileVisitResult.CONTINUE;
                            }
                            String name = file + " in " + named(directory, flag);
                            if (!attributes.isRegularFile()) {
                                throw notRegular(name, file, attributes);
                            }
                            requireReadable(file, flag, false);
                            files.put(key(file, attributes), file);
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException error) {
                            if (error instanceof AccessDeniedException) {
                                throw unreadable(file, flag);
                            }
                            // a dangling link or a link loop is read by nobody; skip it
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            throw new PeftException("Cannot list " + named(directory, flag) + ": " + FailureMessage.cause(e), e);
        }
    }

    /** Checks an output (whose directory may be one the command creates) and returns where it lands, links resolved. */
    private static Path checkOutput(Output output, Set<Path> createdDirectories) {
        Path path = output.path();
        String name = named(path, output.flag());
        Optional<BasicFileAttributes> existing = attributes(path);
        if (existing.isPresent()) {
            BasicFileAttributes attributes = existing.get();
            switch (output.kind()) {
                case FILE -> {
                    if (attributes.isDirectory()) {
                        throw new PeftException(name + " is an existing directory; " + output.flag()
                                + " takes a file path here, for example " + path.resolve("merged.safetensors"));
                    }
                    if (!attributes.isRegularFile()) {
                        throw notRegular(name, path, attributes);
                    }
                }
                case NEW_DIRECTORY ->
                    throw new PeftException(name + " exists; this command writes a new directory: "
                            + "remove it or choose another path");
                case REPLACED_DIRECTORY -> requireOnlyOwnEntries(output, attributes);
                case DIRECTORY_WRITTEN_INTO -> {
                    if (!attributes.isDirectory()) {
                        throw new PeftException(name + " is " + FileKind.of(path, attributes) + "; " + output.flag()
                                + " takes a directory: choose a directory or a new path");
                    }
                }
            }
        }
        Path ancestor = existingAncestor(path);
        Path writable = existing.isEmpty()
                ? ancestor
                : output.kind() == OutputKind.DIRECTORY_WRITTEN_INTO
                        ? path
                        : path.toAbsolutePath().getParent();
        if (existing.isEmpty() && !Files.isDirectory(ancestor)) {
            throw new PeftException(name + " cannot be created: " + ancestor + " is not a directory");
        }
        Path parent = path.toAbsolutePath().normalize().getParent();
        if (output.kind() == OutputKind.FILE
                && existing.isEmpty()
                && !ancestor.equals(parent)
                && !createdDirectories.contains(parent)) {
            throw new PeftException(name + " cannot be written: its directory "
                    + path.toAbsolutePath().getParent() + " does not exist; create it first");
        }
        if (!Files.isWritable(writable)) {
            throw new PeftException(name + " cannot be written: permission denied on " + writable
                    + "; choose a directory you can write");
        }
        return realPath(ancestor)
                .resolve(ancestor.relativize(path.toAbsolutePath().normalize()));
    }

    private static void requireOnlyOwnEntries(Output output, BasicFileAttributes attributes) {
        String name = named(output.path(), output.flag());
        if (!attributes.isDirectory()) {
            throw new PeftException(name + " is " + FileKind.of(output.path(), attributes) + "; " + output.flag()
                    + " takes a directory: choose a new path");
        }
        TreeSet<String> others = new TreeSet<>();
        try (Stream<Path> entries = Files.list(output.path())) {
            entries.map(entry -> entry.getFileName().toString())
                    .filter(entry ->
                            !entry.startsWith(".") && !output.ownEntries().contains(entry))
                    .forEach(others::add);
        } catch (IOException e) {
            throw new PeftException("Cannot list " + name + ": " + FailureMessage.cause(e), e);
        }
        if (!others.isEmpty()) {
            throw new PeftException(name + " holds " + others + ", which this command did not write; it replaces the "
                    + "directory as a whole (" + new TreeSet<>(output.ownEntries()) + "), so choose a new directory");
        }
    }

    private static void requireNoOverlap(Output output, Path real, ResolvedInput input) {
        String out = named(output.path(), output.flag());
        String in = named(input.input().path(), input.input().flag());
        if (real.equals(input.real())) {
            throw new PeftException(out + " is the input " + in + "; write the output to another path");
        }
        if (input.directory() && real.startsWith(input.real())) {
            throw new PeftException(out + " is inside the input directory " + in + "; write the output outside it");
        }
        boolean replaced = output.kind() == OutputKind.NEW_DIRECTORY || output.kind() == OutputKind.REPLACED_DIRECTORY;
        if (replaced && input.real().startsWith(real)) {
            throw new PeftException("The input " + in + " is inside " + out + ", which this command replaces; "
                    + "write the output to another directory");
        }
        if (output.kind() == OutputKind.FILE) {
            attributes(output.path())
                    .map(attributes -> input.files().get(key(output.path(), attributes)))
                    .ifPresent(same -> {
                        throw new PeftException(out + " is the same file as " + same + " ("
                                + input.input().flag() + ", through a link); write the output to another path");
                    });
        }
    }

    private static void requireReadable(Path path, String flag, boolean directory) {
        if (!Files.isReadable(path) || directory && !Files.isExecutable(path)) {
            throw unreadable(path, flag);
        }
    }

    private static PeftException unreadable(Path path, String flag) {
        return new PeftException(named(path, flag) + " cannot be read: permission denied; fix its permissions "
                + "(chmod) or run as a user who can read it");
    }

    private static PeftException notRegular(String name, Path path, BasicFileAttributes attributes) {
        return new PeftException(name + " is " + FileKind.of(path, attributes)
                + ", not a regular file; peft4j only reads and writes regular files: give a file's path");
    }

    /** The attributes, following links; empty when nothing is there (or a file stands where a directory would be). */
    private static Optional<BasicFileAttributes> attributes(Path path) {
        try {
            return Optional.of(Files.readAttributes(path, BasicFileAttributes.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (AccessDeniedException e) {
            throw new PeftException(
                    path + " cannot be reached: permission denied on a directory above it; fix the "
                            + "permissions or choose another path",
                    e);
        } catch (FileSystemException e) {
            if (NOT_A_DIRECTORY.equals(e.getReason())) {
                return Optional.empty();
            }
            throw new PeftException("Cannot read the attributes of " + path + ": " + FailureMessage.cause(e), e);
        } catch (IOException e) {
            throw new PeftException("Cannot read the attributes of " + path + ": " + FailureMessage.cause(e), e);
        }
    }

    private static Object key(Path path, BasicFileAttributes attributes) {
        Object key = attributes.fileKey();
        return key != null ? key : realPath(path);
    }

    private static Path existingAncestor(Path path) {
        Path candidate = path.toAbsolutePath().normalize();
        while (candidate != null && attributes(candidate).isEmpty()) {
            candidate = candidate.getParent();
        }
        if (candidate == null) {
            throw new PeftException(path + " has no existing directory above it");
        }
        return candidate;
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (FileSystemException e) {
            throw new PeftException("Cannot resolve " + path + ": " + FailureMessage.cause(e), e);
        } catch (IOException e) {
            throw new PeftException("Cannot resolve " + path + ": " + e.getMessage(), e);
        }
    }

    private static boolean hidden(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    private static String named(Path path, String flag) {
        return path + " (" + flag + ")";
    }
}
