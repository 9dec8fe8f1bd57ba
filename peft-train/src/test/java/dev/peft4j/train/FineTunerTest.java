package dev.peft4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.core.Backend;
import dev.peft4j.models.CausalLm;
import dev.peft4j.models.Perplexity;
import dev.peft4j.models.testing.SharedModels;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import dev.peft4j.train.data.JsonlData;
import dev.peft4j.train.data.TrainingData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fine-tuning the real stories260k on a tiny dataset (PyTorch): the loss falls, resume is exact, every method trains. */
class FineTunerTest {

    private static final String DATA = String.join(
            "\n",
            "{\"text\": \"Tom had a red kite. The kite flew over the big green hill.\"}",
            "{\"prompt\": \"What color was the kite?\", \"completion\": \" The kite was red.\"}",
            "{\"text\": \"Mia found a shiny stone by the river and gave it to her mom.\"}",
            "{\"prompt\": \"Where did Mia find the stone?\", \"completion\": \" By the river.\"}",
            "{\"text\": \"The little dog barked at the moon every night.\"}",
            "{\"text\": \"Sam and Lily built a tall tower of blocks.\"}");

    @TempDir
    Path dir;

    static Path stories260k() {
        return SharedModels.model(SharedModels.STORIES_260K);
    }

    static CausalLm load(String engine) {
        return CausalLm.load(stories260k(), Backend.select(engine, "cpu", Plugins.defaults()));
    }

    static FineTuneConfig config(String method, int steps, int saveEvery, Map<String, String> options) {
        return new FineTuneConfig(
                method,
                4,
                8,
                List.of("q_proj", "v_proj", "o_proj", "down_proj"),
                options,
                1e-2f,
                2,
                LearningRateSchedule.Shape.COSINE,
                0f,
                1f,
                2,
                2,
                64,
                0,
                steps,
                5,
                saveEvery,
                7);
    }

    static TrainingData data(CausalLm lm, Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("train.jsonl"), DATA);
        return JsonlData.read(file, lm.requireTokenizer(), 64);
    }

    static double[] losses(JsonObject report) {
        JsonArray points = report.getAsJsonArray("trainLoss");
        double[] values = new double[points.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = points.get(i).getAsJsonArray().get(1).getAsDouble();
        }
        return values;
    }

    @Test
    void twentyStepsMakeTheLossFallAndWriteEveryOutput() throws IOException {
        Path out = dir.resolve("out");
        JsonObject report;
        try (CausalLm lm = load("pytorch")) {
            TrainingData train = data(lm, dir);
            double before = new Perplexity(lm, 4)
                    .score(train.examples().stream().map(e -> e.inputIds()).toList())
                    .meanNll();
            report = new FineTuner(lm, config("lora", 20, 10, Map.of()), train, train, TrainingProgress.NONE)
                    .run(out, null);
            double after = new Perplexity(lm, 4)
                    .score(train.examples().stream().map(e -> e.inputIds()).toList())
                    .meanNll();
            assertTrue(after < before - 0.3, "NLL of the training texts " + before + " → " + after);
        }
        double[] losses = losses(report);
        assertEquals(20, losses.length);
        double firstThree = (losses[0] + losses[1] + losses[2]) / 3;
        double lastThree = (losses[17] + losses[18] + losses[19]) / 3;
        assertTrue(lastThree < 0.7 * firstThree, "training loss " + firstThree + " → " + lastThree);
        for (String key : List.of(
                "model",
                "method",
                "options",
                "trainableParams",
                "totalParams",
                "steps",
                "tokens",
                "trainLoss",
                "evalLoss",
                "finalEvalPerplexity",
                "seconds",
                "tokensPerSecond",
                "peakRssMb")) {
            assertTrue(report.has(key), "report.json has " + key);
        }
        // r·(k + d) per layer: q (64 → 64), v (64 → 32, 4 kv heads of 8), o (64 → 64), down (172 → 64); 5 layers
        assertEquals(
                5 * 4 * ((64 + 64) + (64 + 32) + (64 + 64) + (172 + 64)),
                report.get("trainableParams").getAsLong());
        assertEquals(5, report.getAsJsonArray("evalLoss").size(), "before training, steps 5, 10, 15 and the end (20)");
        JsonObject saved = JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject();
        assertEquals(report, saved);
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);
        JsonObject adapterConfig = JsonParser.parseString(Files.readString(out.resolve("adapter/adapter_config.json")))
                .getAsJsonObject();
        assertEquals("CAUSAL_LM", adapterConfig.get("task_type").getAsString());
        assertEquals(4, adapterConfig.get("r").getAsInt());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-10")) && Files.isDirectory(out.resolve("checkpoint-20")));
        try (Stream<Path> files = Files.list(out)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith(".")), "no staging directory left");
        }
    }

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedLosses() throws IOException {
        double[] uninterrupted;
        try (CausalLm lm = load("pytorch")) {
            uninterrupted = losses(
                    new FineTuner(lm, config("lora", 12, 6, Map.of()), data(lm, dir), null, TrainingProgress.NONE)
                            .run(dir.resolve("full"), null));
        }
        double[] resumed;
        try (CausalLm lm = load("pytorch")) {
            resumed = losses(
                    new FineTuner(lm, config("lora", 12, 6, Map.of()), data(lm, dir), null, TrainingProgress.NONE)
                            .run(dir.resolve("resumed"), dir.resolve("full/checkpoint-6")));
        }
        assertEquals(uninterrupted.length, resumed.length);
        for (int i = 0; i < uninterrupted.length; i++) {
            assertEquals(
                    uninterrupted[i],
                    resumed[i],
                    1e-5 * Math.max(1, Math.abs(uninterrupted[i])),
                    "loss at step " + (i + 1));
        }
    }

    @Test
    void resumingWithOtherSettingsIsRefused() throws IOException {
        try (CausalLm lm = load("pytorch")) {
            new FineTuner(lm, config("lora", 4, 2, Map.of()), data(lm, dir), null, TrainingProgress.NONE)
                    .run(dir.resolve("a"), null);
        }
        try (CausalLm lm = load("pytorch")) {
            FineTuner other =
                    new FineTuner(lm, config("lora", 6, 2, Map.of()), data(lm, dir), null, TrainingProgress.NONE);
            String message = assertThrows(
                            PeftException.class, () -> other.run(dir.resolve("b"), dir.resolve("a/checkpoint-2")))
                    .getMessage();
            assertTrue(message.contains("trained with other settings"), message);
        }
    }

    @Test
    void doraAndMoraTrainThroughTheSameLoop() throws IOException {
        for (String method : List.of("dora", "mora")) {
            Map<String, String> options = method.equals("mora") ? Map.of("operator", "rotation") : Map.of();
            try (CausalLm lm = load("pytorch")) {
                double[] losses = losses(
                        new FineTuner(lm, config(method, 6, 0, options), data(lm, dir), null, TrainingProgress.NONE)
                                .run(dir.resolve(method), null));
                assertEquals(6, losses.length);
                assertTrue(losses[5] < losses[0], method + ": " + losses[0] + " → " + losses[5]);
            }
        }
    }
}
