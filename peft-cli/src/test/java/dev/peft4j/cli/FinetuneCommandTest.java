package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.testkit.Stories260k;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code peft4j finetune} on the real stories260k, and its adapter used by {@code generate} and {@code perplexity}. */
class FinetuneCommandTest {

    private static final String DATA = String.join(
            "\n",
            "{\"text\": \"Tom had a red kite. The kite flew over the big green hill.\"}",
            "{\"prompt\": \"What color was the kite?\", \"completion\": \" The kite was red.\"}",
            "{\"text\": \"Mia found a shiny stone by the river and gave it to her mom.\"}",
            "{\"text\": \"The little dog barked at the moon every night.\"}",
            "{\"text\": \"Sam and Lily built a tall tower of blocks.\"}");

    @TempDir
    Path dir;

    private static String stories260k() {
        return Stories260k.directory().toString();
    }

    @Test
    void finetuneWritesAnAdapterThatGenerateAndPerplexityUse() throws IOException {
        Path data = Files.writeString(dir.resolve("train.jsonl"), DATA);
        Path out = dir.resolve("out");
        CommandRunner.Result result = CommandRunner.run(
                "finetune",
                "--model",
                stories260k(),
                "--data",
                data.toString(),
                "--out",
                out.toString(),
                "--steps",
                "8",
                "--lr",
                "1e-2",
                "--batch",
                "2",
                "--eval-fraction",
                "0.4",
                "--save-every",
                "4",
                "--target",
                "all-linear",
                "--engine",
                "pytorch");
        assertEquals(0, result.status(), result.err());
        assertTrue(result.out().startsWith("Wrote " + out.resolve("adapter") + ": 8 steps"), result.out());
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject();
        assertEquals(8, report.get("steps").getAsInt());
        assertFalse(report.get("finalEvalPerplexity").isJsonNull());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-4")) && Files.isRegularFile(out.resolve("loss.png")));

        CommandRunner.Result generated = CommandRunner.run(
                "generate",
                "--model",
                stories260k(),
                "--adapter",
                out.resolve("adapter").toString(),
                "--prompt",
                "Tom had a",
                "--max-new-tokens",
                "8");
        assertEquals(0, generated.status(), generated.err());
        assertFalse(generated.out().isBlank());
        Path texts = Files.writeString(
                dir.resolve("texts.jsonl"),
                String.join(
                        "\n",
                        DATA.lines()
                                .filter(line -> line.startsWith("{\"text\""))
                                .toList()));
        CommandRunner.Result base =
                CommandRunner.run("perplexity", "--model", stories260k(), "--data", texts.toString(), "--json");
        CommandRunner.Result tuned = CommandRunner.run(
                "perplexity",
                "--model",
                stories260k(),
                "--adapter",
                out.resolve("adapter").toString(),
                "--data",
                texts.toString(),
                "--json");
        assertEquals(0, tuned.status(), tuned.err());
        double before = JsonParser.parseString(base.out())
                .getAsJsonObject()
                .get("meanNll")
                .getAsDouble();
        double after = JsonParser.parseString(tuned.out())
                .getAsJsonObject()
                .get("meanNll")
                .getAsDouble();
        assertTrue(after < before, "the adapter lowers the NLL of its training texts: " + before + " → " + after);

        CommandRunner.Result resumed = CommandRunner.run(
                "finetune",
                "--model",
                stories260k(),
                "--data",
                data.toString(),
                "--out",
                dir.resolve("resumed").toString(),
                "--steps",
                "8",
                "--lr",
                "1e-2",
                "--batch",
                "2",
                "--eval-fraction",
                "0.4",
                "--save-every",
                "4",
                "--target",
                "all-linear",
                "--engine",
                "pytorch",
                "--resume",
                out.resolve("checkpoint-4").toString());
        assertEquals(0, resumed.status(), resumed.err());
        JsonObject resumedReport = JsonParser.parseString(Files.readString(dir.resolve("resumed/report.json")))
                .getAsJsonObject();
        assertEquals(
                report.getAsJsonArray("trainLoss").size(),
                resumedReport.getAsJsonArray("trainLoss").size());
    }

    /** LoRA on the token embedding trains from A = 0 and is stored as PEFT stores it. */
    @Test
    void finetuneTrainsLoraOnTheEmbedding() throws IOException {
        Path data = Files.writeString(dir.resolve("train.jsonl"), DATA);
        Path out = dir.resolve("out");
        CommandRunner.Result result = CommandRunner.run(
                "finetune",
                "--model",
                stories260k(),
                "--data",
                data.toString(),
                "--out",
                out.toString(),
                "--steps",
                "6",
                "--lr",
                "1e-2",
                "--batch",
                "2",
                "--target",
                "embed_tokens,q_proj",
                "--rank",
                "4",
                "--engine",
                "pytorch");
        assertEquals(0, result.status(), result.err());
        try (SafetensorsFile file = SafetensorsFile.open(out.resolve("adapter/adapter_model.safetensors"))) {
            String a = "base_model.model.model.embed_tokens.lora_embedding_A";
            assertEquals(new Shape(4, 512), file.tensor(a).shape());
            assertEquals(
                    new Shape(64, 4),
                    file.tensor("base_model.model.model.embed_tokens.lora_embedding_B")
                            .shape());
            double trained = 0;
            for (float value : file.readFloats(a)) {
                trained = Math.max(trained, Math.abs(value));
            }
            assertTrue(trained > 1e-4, "A started at zero and trained: max |A| = " + trained);
        }
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("report.json")))
                .getAsJsonObject();
        var losses = report.getAsJsonArray("trainLoss");
        double first = losses.get(0).getAsJsonArray().get(1).getAsDouble();
        double last = losses.get(losses.size() - 1).getAsJsonArray().get(1).getAsDouble();
        assertTrue(last < first, "the training loss falls: " + first + " → " + last);
    }

    @Test
    void badInputIsOneLineNamingIt() throws IOException {
        Path data =
                Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"fine\"}\n{\"prompt\": \"no completion\"}\n");
        CommandRunner.Result result = CommandRunner.run(
                "finetune",
                "--model",
                stories260k(),
                "--data",
                data.toString(),
                "--out",
                dir.resolve("out").toString(),
                "--steps",
                "2");
        assertEquals(1, result.status());
        assertTrue(result.err().contains(data + ":2:"), result.err());
        assertFalse(Files.exists(dir.resolve("out")), "nothing written before the data is read");

        CommandRunner.Result both = CommandRunner.run(
                "finetune",
                "--model",
                stories260k(),
                "--data",
                data.toString(),
                "--out",
                dir.resolve("out").toString(),
                "--steps",
                "2",
                "--epochs",
                "1");
        assertEquals(2, both.status());
        assertTrue(both.err().contains("mutually exclusive"), both.err());

        CommandRunner.Result badLr = CommandRunner.run(
                "finetune",
                "--model",
                stories260k(),
                "--data",
                data.toString(),
                "--out",
                dir.resolve("out").toString(),
                "--lr",
                "-1");
        assertEquals(2, badLr.status());
        assertTrue(badLr.err().contains("learning rate must be > 0"), badLr.err());
    }

    @Test
    void flagsThatCannotWorkAreRefusedBeforeTheModelLoads() throws IOException {
        Path notAModel = Files.createDirectories(dir.resolve("not-a-model"));
        Path data = Files.writeString(dir.resolve("train.jsonl"), DATA);
        Path used = Files.createDirectories(dir.resolve("used"));
        Files.writeString(used.resolve("notes.txt"), "mine");
        String[][] cases = {
            {"--method", "lorra"}, {"Unknown adapter 'lorra'"},
            {"--option", "foo=bar"}, {"Unknown option 'foo' for the adapter method lora. Known: [lora_bias]"},
            {"--method", "dora", "--option", "dora_eval_cahce=true"}, {"Did you mean 'dora_eval_cache'?"},
            {"--method", "mora", "--operator", "nosuch"}, {"Unknown operator 'nosuch'"},
            {"--eval-fraction", "1.5"}, {"--eval-fraction must be in (0, 1), got 1.5"},
            {"--warmup-steps", "10"}, {"warmup steps must be fewer than the 3 steps of the run, got 10"},
            {"--target", "q_proj,q_proj"}, {"give each target module once"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            List<String> args = new ArrayList<>(List.of(
                    "finetune",
                    "--model",
                    notAModel.toString(),
                    "--data",
                    data.toString(),
                    "--out",
                    dir.resolve("out").toString(),
                    "--steps",
                    "3"));
            args.addAll(List.of(cases[i]));
            CommandRunner.Result result = CommandRunner.run(args.toArray(String[]::new));
            assertEquals(2, result.status(), String.join(" ", cases[i]) + ": " + result.err());
            assertTrue(result.err().contains(cases[i + 1][0]), result.err());
        }
        CommandRunner.Result reused = CommandRunner.run(
                "finetune",
                "--model",
                notAModel.toString(),
                "--data",
                data.toString(),
                "--out",
                used.toString(),
                "--steps",
                "3");
        assertEquals(2, reused.status(), reused.err());
        assertTrue(reused.err().contains("already holds [notes.txt]: give a new or empty directory"), reused.err());
        assertEquals("mine", Files.readString(used.resolve("notes.txt")));
        assertFalse(Files.exists(dir.resolve("out")), "nothing written");
    }
}
