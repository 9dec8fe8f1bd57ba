package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {

    @TempDir
    Path dir;

    @Test
    void aTinyRunWritesBothReportsAndPrintsTheTable() throws IOException {
        CommandRunner.Result result = CommandRunner.run(
                "bench",
                "--engine",
                "pytorch",
                "--features",
                "32",
                "--rank",
                "4",
                "--tokens",
                "4",
                "--rounds",
                "3",
                "--soak-steps",
                "12",
                "--out",
                dir.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("| dora_step/lora_step |"), result.out());
        assertTrue(result.out().contains("| method | arrays per eval forward |"), result.out());

        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("bench-report.json")))
                .getAsJsonObject();
        assertEquals("pytorch", report.get("engine").getAsString());
        assertEquals("cpu", report.get("device").getAsString());
        int targets = 0;
        for (JsonElement ratio : report.getAsJsonArray("ratios")) {
            if (!ratio.getAsJsonObject().get("target").isJsonNull()) {
                targets++;
            }
        }
        assertEquals(6, targets);
        assertTrue(Files.readString(dir.resolve("bench-report.md")).startsWith("# peft4j bench"));
    }

    @Test
    void badSettingsAreClearErrors() {
        assertError(2, "--features 0 is out of range: it must be 1 to 16,384", "--features", "0");
        assertError(2, "--rounds 0 is out of range: it must be 1 to 100,000", "--rounds", "0");
        assertError(2, "Unknown engine 'tensorflow'", "--engine", "tensorflow");
    }

    private void assertError(int status, String message, String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "bench";
        args[1] = "--out";
        args[2] = dir.toString();
        System.arraycopy(options, 0, args, 3, options.length);
        CommandRunner.Result result = CommandRunner.run(args);
        assertEquals(status, result.status(), result.out());
        assertTrue(result.err().contains(message), result.err());
    }
}
