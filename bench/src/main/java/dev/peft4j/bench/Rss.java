package dev.peft4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** The process's resident memory, {@code VmRSS} in {@code /proc/self/status} (Linux only). */
final class Rss {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final String FIELD = "VmRSS:";

    private Rss() {}

    /**
     * The resident set size now.
     *
     * @return kibibytes, or empty where {@code /proc/self/status} does not exist
     */
    static OptionalLong kibibytes() {
        if (!Files.isReadable(STATUS)) {
            return OptionalLong.empty();
        }
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(FIELD)) {
                    return OptionalLong.of(Long.parseLong(line.substring(FIELD.length()).replace("kB", "").trim()));
                }
            }
            return OptionalLong.empty();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + STATUS + ": " + e.getMessage(), e);
        }
    }
}
