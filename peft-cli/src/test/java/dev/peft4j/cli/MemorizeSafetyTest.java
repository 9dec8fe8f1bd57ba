package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #14 for {@code memorize} and {@code bench}: every flag is checked before anything is
 * created, a diverging run is recorded rather than losing the report, and the output set is
 * replaced as a unit.
 */
class MemorizeSafetyTest {

    private static final String[] TINY = {"memorize", "--pairs", "8", "--steps", "4", "--hidden", "16", "--batch", "8"};

    @TempDir
    Path dir;

    private CommandRunner.Result memorize(String... args) {
        return CommandRunner.run(Stream.concat(Stream.of(TINY), Stream.of(args)).toArray(String[]::new));
    }

    private void assertUsageError(String expectedStart, CommandRunner.Result result) {
        assertEquals(2, result.status(), result.out() + result.err());
        assertEquals(1, result.err().strip().lines().count(), result.err());
        assertTrue(result.err().startsWith("peft4j: " + expectedStart), result.err());
    }

    @Test
    void badFlagValuesAreRefusedBeforeAnythingIsCreated() {
        Path out = dir.resolve("out");
        String o = out.toString();
        assertUsageError(
                "--lr lora is 0.0: it must be a finite number above 0",
                memorize("--methods", "lora", "--lr", "lora=0", "--out", o));
        assertUsageError(
                "--lr lora is -0.1: it must be", memorize("--methods", "lora", "--lr", "lora=-0.1", "--out", o));
        assertUsageError("--lr mora is NaN: it must be", memorize("--methods", "lora", "--lr", "mora=NaN", "--out", o));
        assertUsageError(
                "--lr lora is Infinity: it must be",
                memorize("--methods", "lora", "--lr", "lora=Infinity", "--out", o));
        assertUsageError("--rank names 4 twice ([4, 4])", memorize("--methods", "lora", "--rank", "4,4", "--out", o));
        assertUsageError("--methods names lora twice ([lora, lora])", memorize("--methods", "lora,lora", "--out", o));
        assertUsageError(
                "--pairs 1000000000 is out of range: it must be 1 to 200,000",
                CommandRunner.run("memorize", "--pairs", "1000000000", "--methods", "lora", "--out", o));
        assertUsageError(
                "--hidden 1000000 is out of range: it must be 1 to 8,192",
                CommandRunner.run("memorize", "--hidden", "1000000", "--methods", "lora", "--out", o));
        assertUsageError(
                "--batch 0 is out of range",
                CommandRunner.run("memorize", "--batch", "0", "--methods", "lora", "--out", o));
        assertFalse(Files.exists(out), "nothing was created");
    }

    @Test
    void aDivergingRunIsRecordedInTheReport() throws IOException {
        CommandRunner.Result result = memorize(
                "--methods",
                "fft,lora",
                "--lr",
                "lora=1e30",
                "--out",
                dir.resolve("out").toString());
        assertEquals(0, result.status(), result.err());
        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("out/report.json")))
                .getAsJsonObject();
        JsonObject fft = report.getAsJsonArray("results").get(0).getAsJsonObject();
        JsonObject lora = report.getAsJsonArray("results").get(1).getAsJsonObject();
        assertTrue(fft.get("divergedAtStep").isJsonNull(), fft.toString());
        int step = lora.get("divergedAtStep").getAsInt();
        assertTrue(step >= 1 && step <= 4, lora.toString());
        assertTrue(
                lora.getAsJsonArray("steps").size() >= 1, "the measurements before the divergence are kept: " + lora);
        assertTrue(result.err().contains("lora r=8 diverged at step " + step), result.err());
        assertTrue(result.out().contains("lora r=8 diverged at step " + step), "the table says so: " + result.out());
        assertTrue(Files.readString(dir.resolve("out/report.md")).contains("diverged at step " + step));
        assertTrue(Files.exists(dir.resolve("out/curves.png")));
    }

    @Test
    void theOutputSetIsReplacedAsAUnitAndForeignDirectoriesAreRefused() throws IOException {
        Path out = dir.resolve("out");
        assertEquals(
                0,
                memorize("--methods", "lora", "--seed", "1", "--out", out.toString())
                        .status());
        CommandRunner.Result second = memorize("--methods", "lora", "--seed", "2", "--out", out.toString());
        assertEquals(0, second.status(), second.err());
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject();
        assertEquals(2, report.get("seed").getAsLong());
        assertEquals(List.of("curves.png", "report.json", "report.md"), names(out));
        assertEquals(List.of("out"), names(dir), "no staging directory or old set is left");

        Path notes = Files.writeString(out.resolve("notes.txt"), "mine");
        CommandRunner.Result refused = memorize("--methods", "lora", "--out", out.toString());
        assertEquals(1, refused.status());
        assertTrue(
                refused.err()
                        .startsWith("peft4j: " + out + " (--out) holds [notes.txt], which this command did not write"),
                refused.err());
        assertEquals("mine", Files.readString(notes));
    }

    @Test
    void benchChecksItsDeviceAndFlagsBeforeCreatingItsOutput() {
        Path out = dir.resolve("bench-out");
        CommandRunner.Result device = CommandRunner.run("bench", "--device", "gpu:99", "--out", out.toString());
        assertEquals(1, device.status(), device.out());
        assertEquals(1, device.err().strip().lines().count(), device.err());
        assertFalse(Files.exists(out), "no empty output directory");
        CommandRunner.Result rank = CommandRunner.run("bench", "--rank", "0", "--out", out.toString());
        assertUsageError("--rank 0 is out of range: it must be 1 to 1,024", rank);
        assertFalse(Files.exists(out));
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(path -> path.getFileName().toString()).sorted().toList();
        }
    }
}
