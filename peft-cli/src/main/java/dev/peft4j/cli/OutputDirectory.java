package dev.peft4j.cli;

import dev.peft4j.spi.PeftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The directory a command writes its reports to. */
public final class OutputDirectory {

    private OutputDirectory() {}

    /**
     * Creates the directory if needed and checks that a file can be written in it, before a long
     * run rather than after.
     *
     * @param directory the directory
     * @throws PeftException when it cannot be created or written
     */
    public static void prepare(Path directory) {
        try {
            Files.createDirectories(directory);
            Path probe = Files.createTempFile(directory, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            throw new PeftException("Output directory " + directory + " cannot be written: " + e.getMessage(), e);
        }
    }
}
