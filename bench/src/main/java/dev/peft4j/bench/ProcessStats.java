package dev.peft4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * What Linux reports about this process: resident memory ({@code VmRSS} in {@code
 * /proc/self/status}) and minor page faults ({@code minflt} in {@code /proc/self/stat}). Elsewhere
 * both are empty.
 */
final class ProcessStats {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path STAT = Path.of("/proc/self/stat");
    private static final String RSS_FIELD = "VmRSS:";
    /** {@code minflt} is the 10th field of {@code stat}, the 8th after the command name's closing parenthesis. */
    private static final int MINOR_FAULTS_AFTER_NAME = 7;

    private ProcessStats() {}

    /**
     * The resident set size now.
     *
     * @return kibibytes, or empty without {@code /proc}
     */
    static OptionalLong residentKib() {
        if (!Files.isReadable(STATUS)) {
            return OptionalLong.empty();
        }
        for (String line : read(STATUS).split("\n")) {
            if (line.startsWith(RSS_FIELD)) {
                return OptionalLong.of(Long.parseLong(
                        line.substring(RSS_FIELD.length()).replace("kB", "").trim()));
            }
        }
        return OptionalLong.empty();
    }

    /**
     * The minor page faults so far: pages the kernel mapped in (and zeroed) on first touch, which
     * is what a freshly allocated large buffer costs each time the allocator returns it to the
     * system.
     *
     * @return the count, or empty without {@code /proc}
     */
    static OptionalLong minorFaults() {
        if (!Files.isReadable(STAT)) {
            return OptionalLong.empty();
        }
        String stat = read(STAT);
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return OptionalLong.of(Long.parseLong(fields[MINOR_FAULTS_AFTER_NAME]));
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
