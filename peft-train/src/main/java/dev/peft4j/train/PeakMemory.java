package dev.peft4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's peak resident memory, from {@code /proc/self/status} (Linux). */
final class PeakMemory {

    private PeakMemory() {}

    /**
     * VmHWM, the high-water mark of the resident set.
     *
     * @return megabytes (MiB), or -1 where the operating system does not say
     */
    static double megabytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
