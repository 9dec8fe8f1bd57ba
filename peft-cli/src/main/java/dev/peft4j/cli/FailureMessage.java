package dev.peft4j.cli;

import ai.djl.engine.EngineException;
import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import javax.imageio.IIOException;

/**
 * Turns a failure a user can cause into one line naming the path or value, the real cause and the
 * fix; other failures (bugs) are left to their stack trace.
 */
final class FailureMessage {

    private FailureMessage() {}

    /**
     * The one-line message for a failure.
     *
     * @param failure what a command threw
     * @return the message, or empty for an unexpected failure
     */
    static Optional<String> of(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError) {
                return Optional.of(
                        "Out of memory (" + cause.getMessage() + "): lower the sizes (--pairs, --hidden, --batch, "
                                + "--rank, --features, --tokens) or give Java more heap, for example PEFT4J_JAVA_OPTS=-Xmx8g");
            }
        }
        if (failure instanceof PeftException
                || failure instanceof IllegalArgumentException && !(failure instanceof InvalidPathException)) {
            return Optional.of(withFileCause(failure));
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof FileSystemException e) {
                return Optional.of(e.getFile() + ": " + cause(e) + fix(e));
            }
            if (cause instanceof InvalidPathException e) {
                return Optional.of(invalidPath(e));
            }
            if (cause instanceof IIOException e) {
                return Optional.of("Cannot write an image: " + e.getMessage()
                        + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")")
                        + "; check that the output directory can be written");
            }
            if (cause instanceof EngineException e) {
                return Optional.of("The engine failed: " + firstLine(e.getMessage())
                        + "; when it ran out of memory, lower " + "the sizes or choose another --device");
            }
        }
        return Optional.empty();
    }

    /**
     * The cause of an I/O failure in words.
     *
     * @param failure the failure
     * @return for example {@code permission denied}
     */
    static String cause(IOException failure) {
        if (failure instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (failure instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (failure instanceof FileSystemException e && e.getReason() != null) {
            return e.getReason();
        }
        return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    }

    /**
     * The message for a path the file system cannot represent.
     *
     * @param failure the failure
     * @return the message, with the locale fix when the encoding is the cause
     */
    static String invalidPath(InvalidPathException failure) {
        String encoding = System.getProperty("sun.jnu.encoding", "unknown");
        boolean unmappable = failure.getReason() != null && failure.getReason().contains("unmappable");
        return "'" + failure.getInput() + "' is not a valid path here: " + failure.getReason()
                + (unmappable
                        ? "; the file-name encoding " + encoding + " (from the locale) cannot hold it: run under "
                                + "a UTF-8 locale, for example LC_ALL=C.UTF-8"
                        : "; correct the path");
    }

    private static String withFileCause(Throwable failure) {
        String message = failure.getMessage();
        for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof FileSystemException e && !message.contains(cause(e))) {
                return message + " (" + cause(e) + ")";
            }
        }
        return message;
    }

    private static String fix(FileSystemException failure) {
        if (failure instanceof AccessDeniedException) {
            return "; fix its permissions (chmod) or choose another path";
        }
        if (failure instanceof NoSuchFileException) {
            return "; check the path";
        }
        return "";
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.strip().lines().findFirst().orElse("");
    }
}
