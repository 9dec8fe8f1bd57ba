package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.testkit.Stories260k;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j memorize --model}: the pairs as key → value text on the real stories260k. */
class PretrainedMemorizeTest {

    private static final List<String> FIELDS = List.of("task", "pairs", "seed", "engine", "device", "model", "results");
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
    void aShortRunOnStories260kWritesTheReport() throws IOException {
        Path model = Stories260k.directory();
        CommandRunner.Result result = CommandRunner.run(
                "memorize",
                "--model",
                model.toString(),
                "--pairs",
                "6",
                "--steps",
                "4",
                "--batch",
                "6",
                "--out",
                dir.toString());
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().contains("| method | operator | rank | trainable params |"), result.out());
        for (String adapter : List.of("lora-r8", "dora-r8", "mora-rotation-r8")) {
            assertTrue(
                    Files.isRegularFile(dir.resolve("adapters").resolve(adapter).resolve("adapter_config.json")),
                    "each run's adapter is kept: " + adapter);
        }

        JsonObject report = JsonParser.parseString(Files.readString(dir.resolve("report.json")))
                .getAsJsonObject();
        for (String field : FIELDS) {
            assertTrue(report.has(field), "report.json has " + field);
        }
        assertEquals(model.toString(), report.get("model").getAsString());
        assertEquals(64, report.get("hidden").getAsInt(), "the model's own width");
        assertEquals(6, report.get("pairs").getAsInt());
        JsonArray results = report.getAsJsonArray("results");
        assertEquals(
                List.of("fft", "lora", "dora", "mora"),
                results.asList().stream()
                        .map(run -> run.getAsJsonObject().get("method").getAsString())
                        .toList());
        long loraBudget =
                results.get(1).getAsJsonObject().get("trainableParams").getAsLong();
        // all-linear on 5 Llama layers: q, o 64→64; k, v 64→32; gate, up 64→172; down 172→64; no lm_head (tied)
        assertEquals(5L * 8 * (2 * 128 + 2 * 96 + 3 * 236), loraBudget);
        for (JsonElement element : results) {
            JsonObject run = element.getAsJsonObject();
            for (String field : RESULT_FIELDS) {
                assertTrue(run.has(field), "results[] has " + field + ": " + run);
            }
            assertEquals(
                    4,
                    run.getAsJsonArray("steps")
                            .get(run.getAsJsonArray("steps").size() - 1)
                            .getAsInt());
            for (String series : List.of("charAccuracy", "pairAccuracy")) {
                for (JsonElement value : run.getAsJsonArray(series)) {
                    assertTrue(value.getAsDouble() >= 0 && value.getAsDouble() <= 1, series + " in [0, 1]: " + run);
                }
            }
            assertTrue(Double.isFinite(run.get("loss").getAsJsonArray().get(0).getAsDouble()), "a finite loss: " + run);
            long params = run.get("trainableParams").getAsLong();
            if (run.get("method").getAsString().equals("fft")) {
                assertEquals(260_032, params, "full fine-tuning trains every weight");
            } else {
                assertTrue(
                        Math.abs(params - loraBudget) <= 0.03 * loraBudget,
                        run.get("method") + " within 3%: " + params);
            }
        }
        assertTrue(Files.readString(dir.resolve("report.md")).contains("model stories260k (hidden width 64)"));
        byte[] png = Files.readAllBytes(dir.resolve("curves.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
    }

    @Test
    void hiddenWithModelIsAnError() {
        CommandRunner.Result result = CommandRunner.run(
                "memorize",
                "--model",
                dir.resolve("any-model").toString(),
                "--hidden",
                "128",
                "--out",
                dir.resolve("out").toString());
        assertEquals(2, result.status(), result.out());
        assertTrue(
                result.err().startsWith("peft4j: --hidden 128 sets the width of the synthetic network; with --model "),
                result.err());
        assertFalse(Files.exists(dir.resolve("out")), "nothing written");
    }
}
