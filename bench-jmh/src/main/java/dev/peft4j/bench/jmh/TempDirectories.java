package dev.peft4j.bench.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Deletes the temporary directories the save and load benchmarks write. */
final class TempDirectories {

    private TempDirectories() {}

    /**
     * Deletes a directory and everything in it; nothing happens when it is {@code null} or gone.
     *
     * @param directory the directory
     * @throws IOException when something cannot be deleted
     */
    static void delete(Path directory) throws IOException {
        if (directory == null || !Files.exists(directory)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(directory)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            Files.delete(path);
        }
    }
}
