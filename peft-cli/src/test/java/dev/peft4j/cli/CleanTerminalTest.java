package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What reaches a user's terminal is peft4j's own output: a command run in its own JVM, so that
 * native libraries write to a real standard error, prints neither libtorch's
 * "AutoNonVariableTypeMode is deprecated" warning nor ANSI escape codes while it trains every
 * method on PyTorch and writes its report.
 */
class CleanTerminalTest {

    @TempDir
    Path dir;

    @Test
    void trainingEveryMethodOnPyTorchPrintsNoNativeWarningAndNoEscapeCodes() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "memorize",
                "--engine",
                "pytorch",
                "--methods",
                "fft,lora,dora,mora",
                "--pairs",
                "4",
                "--steps",
                "3",
                "--out",
                dir.resolve("out").toString()));
        Path output = dir.resolve("terminal.txt");
        Process child = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        assertEquals(true, child.waitFor(180, TimeUnit.SECONDS), "the run ends");
        String terminal = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), terminal);
        assertFalse(terminal.contains("AutoNonVariableTypeMode"), terminal);
        assertFalse(terminal.contains("\u001b["), "no ANSI escape codes:\n" + terminal);
    }
}
