package dev.peft4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes whole files atomically: a temporary file beside the target, then a rename. */
public final class AtomicFiles {

    private AtomicFiles() {}

    /**
     * Writes bytes to a file so that readers see the old file or the complete new one, never a
     * partial file.
     *
     * @param file the target
     * @param bytes the content
     * @throws IOException when it cannot be written; no temporary file is left behind
     */
    public static void write(Path file, byte[] bytes) throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(directory, "." + file.getFileName(), ".tmp");
        try {
            Files.write(temporary, bytes);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }
}
