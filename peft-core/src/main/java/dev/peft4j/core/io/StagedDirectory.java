package dev.peft4j.core.io;

import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A directory written as a unit: its files go into a hidden sibling, which replaces the target by a
 * rename only when complete, so a reader sees the old directory or the new one, never a mix, and an
 * interrupted run (failure, Ctrl-C) leaves no half-written directory behind: the staging directory
 * is deleted on failure and by a shutdown hook.
 */
public final class StagedDirectory implements AutoCloseable {

    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> PENDING.forEach(StagedDirectory::deleteQuietly), "peft4j-staged-directory-cleanup"));
    }

    private final Path target;
    private final Path staging;
    private boolean committed;

    private StagedDirectory(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /**
     * Starts writing a directory.
     *
     * @param target the directory to create or replace
     * @return the staged directory; write into {@link #path()}, then {@link #commit()}; close it in every case
     * @throws PeftException when the staging directory cannot be created
     */
    public static StagedDirectory start(Path target) {
        Path staging = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(staging);
        } catch (IOException e) {
            throw new PeftException("Cannot create " + staging + ": " + e.getMessage(), e);
        }
        PENDING.add(staging);
        return new StagedDirectory(target, staging);
    }

    /**
     * Where to write the directory's files.
     *
     * @return the staging directory
     */
    public Path path() {
        return staging;
    }

    /**
     * Puts the staged directory in place of the target: a rename, after moving an existing target aside.
     *
     * @throws PeftException when a rename fails
     */
    public void commit() {
        Path old = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".old");
        try {
            boolean replacing = Files.exists(target);
            if (replacing) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
            PENDING.remove(staging);
            if (replacing) {
                deleteQuietly(old);
            }
        } catch (IOException e) {
            throw new PeftException("Cannot move " + staging + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the staging directory unless it was committed. */
    @Override
    public void close() {
        if (!committed) {
            deleteQuietly(staging);
            PENDING.remove(staging);
        }
    }

    private static void deleteQuietly(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try {
            Files.walkFileTree(directory, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException error) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort: a leftover hidden staging directory is harmless and named for what it is
        }
    }
}
