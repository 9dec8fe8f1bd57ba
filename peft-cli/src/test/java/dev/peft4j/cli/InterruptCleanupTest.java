package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C (SIGTERM here, which runs the same shutdown hooks) while an output is being written
 * leaves no hidden temporary file or staging directory behind: the merge's file (through {@link
 * dev.peft4j.safetensors.AtomicFile}) and memorize's and bench's output sets (a staged directory).
 * The child signals when its temporary output exists, so nothing depends on timing.
 */
class InterruptCleanupTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"file", "directory"})
    void aTerminatedRunLeavesNoTemporaryOutput(String kind) throws Exception {
        Path target = dir.resolve(kind.equals("file") ? "merged.safetensors" : "memorize-out");
        Process child = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        HeldOutput.class.getName(),
                        kind,
                        target.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine(), "the child started its output");
            assertEquals(1, hidden(dir).size(), "the temporary output exists while the run is held: " + hidden(dir));
            child.destroy();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child ends on SIGTERM");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(List.of(), hidden(dir), "no temporary output is left");
        assertFalse(Files.exists(target), "nothing was committed");
    }

    private static List<String> hidden(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(path -> path.getFileName().toString())
                    .filter(name -> name.startsWith("."))
                    .sorted()
                    .toList();
        }
    }
}
