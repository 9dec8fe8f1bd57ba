package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemorizeCommandTest {

    private static final List<String> RESULT_FIELDS = List.of(
            "method",
            "operator",
            "rank",
            "trainableParams",
            "steps",
            "charAccuracy",
            "pairAccuracy",
            "loss",
            "finalCharAccuracy",
            "finalPairAccuracy",
            "seconds");

    @TempDir
    Path dir;

    @Test
    void aTinyRunWritesTheReportChartAndTable() throws IOException {
        CommandRunner.Result result = CommandRunner.run(
                "memorize",
                "--pairs",
                "24",
                "--steps",
                "40",
                "--hidden",
                "64",
                "--batch",
                "24",
                "--methods",
                "fft,lora,dora,mora",
                "--lr",
                "lora=0.02",
                "--out",
                dir.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("| method | operator | rank | trainable params |"), result.out());

        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("report.json")))
                .getAsJsonObject();
        assertEquals("memorize", report.get("task").getAsString());
        assertEquals(24, report.get("pairs").getAsInt());
        assertEquals(42, report.get("seed").getAsLong());
        assertEquals("pytorch", report.get("engine").getAsString());
        assertEquals("cpu", report.get("device").getAsString());
        JsonArray results = report.getAsJsonArray("results");
        assertEquals(4, results.size());
        long loraBudget = 0;
        for (JsonElement element : results) {
            JsonObject run = element.getAsJsonObject();
            for (String field : RESULT_FIELDS) {
                assertTrue(run.has(field), "results[] has " + field + ": " + run);
            }
            int points = run.getAsJsonArray("steps").size();
            assertEquals(points, run.getAsJsonArray("charAccuracy").size());
            assertEquals(points, run.getAsJsonArray("pairAccuracy").size());
            assertEquals(points, run.getAsJsonArray("loss").size());
            assertEquals(40, run.getAsJsonArray("steps").get(points - 1).getAsInt());
            double accuracy = run.get("finalCharAccuracy").getAsDouble();
            assertTrue(accuracy > 1.0 / 16 && accuracy <= 1, run.get("method") + " learned above chance: " + accuracy);
            if (run.get("method").getAsString().equals("lora")) {
                loraBudget = run.get("trainableParams").getAsLong();
                assertEquals(0.02f, run.get("learningRate").getAsFloat(), 1e-9);
            }
        }
        assertEquals(8L * ((512 + 64) + (64 + 64) + (64 + 512)), loraBudget);
        for (int i = 2; i < 4; i++) {
            JsonObject run = results.get(i).getAsJsonObject();
            long params = run.get("trainableParams").getAsLong();
            assertTrue(
                    Math.abs(params - loraBudget) <= 0.03 * loraBudget,
                    run.get("method") + " within 3%: " + params + " vs " + loraBudget);
        }
        assertEquals(
                "rotation", results.get(3).getAsJsonObject().get("operator").getAsString(), "rotation for small ranks");
        assertTrue(results.get(1).getAsJsonObject().get("operator").isJsonNull());

        byte[] png = Files.readAllBytes(dir.resolve("curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
        assertTrue(png.length > 10_000, "a real chart: " + png.length + " bytes");
        String markdown = Files.readString(dir.resolve("report.md"));
        assertTrue(markdown.contains("![character accuracy against step](curves.png)"), markdown);
        assertTrue(markdown.contains("| fft | — | — |"), markdown);
    }

    @Test
    void badFlagsAreClearErrors() throws IOException {
        assertError(2, "Unknown method 'vera'. Available: [dora, fft, ", "memorize", "--methods", "lora,vera");
        assertError(2, "--pairs 0 is out of range: it must be 1 to 200,000", "memorize", "--pairs", "0");
        assertError(2, "--rank -8 is out of range: it must be 1 to 4,096", "memorize", "--rank", "-8");
        assertError(1, "Unknown operator 'nope'. Available: [", "memorize", "--methods", "mora", "--operator", "nope");
        assertError(
                2,
                "--operator sharing is set but none of the methods [lora] takes an operator",
                "memorize",
                "--operator",
                "sharing");
        assertError(2, "--lr names unknown method 'sgd'", "memorize", "--lr", "sgd=0.1");
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertError(
                1,
                file.resolve("out") + " (--out) cannot be created: " + file + " is not a directory",
                "memorize",
                "--out",
                file.resolve("out").toString());
    }

    private void assertError(int status, String expectedStart, String... args) {
        String[] withMethod = Arrays.copyOf(args, args.length + 2);
        if (!Arrays.asList(args).contains("--methods")) {
            withMethod[args.length] = "--methods";
            withMethod[args.length + 1] = "lora";
            args = withMethod;
        }
        CommandRunner.Result result = CommandRunner.run(args);
        assertEquals(status, result.status(), result.out());
        assertTrue(result.err().startsWith("peft4j: " + expectedStart), result.err());
    }
}
