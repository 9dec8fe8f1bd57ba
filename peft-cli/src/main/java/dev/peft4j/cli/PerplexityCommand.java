package dev.peft4j.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.peft4j.models.CausalLm;
import dev.peft4j.models.Perplexity;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.safetensors.StrictJson;
import dev.peft4j.spi.PeftException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code peft4j perplexity}: how well a model (with adapters) predicts a text or a JSONL file of texts. */
@Command(
        name = "perplexity",
        mixinStandardHelpOptions = true,
        description = "Score text with a pretrained causal LM and optional PEFT adapters: tokens, mean negative "
                + "log-likelihood per predicted token (nats) and perplexity.")
final class PerplexityCommand implements Callable<Integer> {

    /** The most texts per forward. */
    static final int MAX_BATCH = 4096;

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Mixin
    private ModelOptions modelOptions;

    @ArgGroup(multiplicity = "1")
    private Input input;

    @Option(
            names = "--batch",
            paramLabel = "N",
            defaultValue = "8",
            description = "Texts per forward, 1 to 4096 (default: 8).")
    private int batch;

    @Option(names = "--json", description = "Print one JSON object: tokens, meanNll, perplexity.")
    private boolean json;

    /** Exactly one of the inputs. */
    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "The text to score.")
        String text;

        @Option(
                names = "--data",
                paramLabel = "FILE.jsonl",
                description = "One JSON object per line with a \"text\" string.")
        Path data;
    }

    @Override
    public Integer call() {
        FlagChecks.inRange(spec, "--batch", batch, 1, MAX_BATCH);
        modelOptions.declare(parent.paths()).readsFile("--data", input.data).check();
        List<String> texts = input.text != null ? List.of(input.text) : readTexts(input.data);
        Perplexity.Score score;
        try (CausalLm lm = modelOptions.load(parent.plugins())) {
            Tokenizer tokenizer = lm.requireTokenizer();
            List<long[]> sequences = new ArrayList<>(texts.size());
            texts.forEach(text -> sequences.add(tokenizer.encode(text, true)));
            score = new Perplexity(lm, batch).score(sequences);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonObject object = new JsonObject();
            object.addProperty("tokens", score.tokens());
            object.addProperty("meanNll", score.meanNll());
            object.addProperty("perplexity", score.perplexity());
            out.println(object);
        } else {
            out.printf(
                    Locale.ROOT,
                    "tokens: %d%nmean NLL: %.6f nats/token%nperplexity: %.4f%n",
                    score.tokens(),
                    score.meanNll(),
                    score.perplexity());
        }
        out.flush();
        return 0;
    }

    /** The "text" of every non-blank line; a bad line is an error naming the file and line number. */
    static List<String> readTexts(Path file) {
        List<String> texts = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    texts.add(text(line, file, number));
                }
            }
        } catch (CharacterCodingException e) {
            throw new PeftException(file + " is not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new PeftException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        if (texts.isEmpty()) {
            throw new PeftException(file + " has no lines to score: expected one {\"text\": ...} object per line");
        }
        return texts;
    }

    private static String text(String line, Path file, int number) {
        JsonObject object;
        try {
            object = StrictJson.parseObject(new StringReader(line), file + ":" + number);
        } catch (PeftException e) {
            throw new PeftException(e.getMessage() + "; expected one JSON object per line, {\"text\": \"...\"}", e);
        }
        if (!object.has("text")) {
            throw new PeftException(file + ":" + number + ": expected a \"text\" key, found keys " + object.keySet()
                    + " (perplexity scores {\"text\": ...} lines only)");
        }
        JsonElement text = object.get("text");
        if (!text.isJsonPrimitive() || !text.getAsJsonPrimitive().isString()) {
            throw new PeftException(file + ":" + number + ": expected \"text\" to be a string, found " + text);
        }
        return text.getAsString();
    }
}
