package dev.peft4j.cli;

import com.google.gson.JsonObject;
import dev.peft4j.models.CausalLm;
import dev.peft4j.models.Perplexity;
import dev.peft4j.models.text.Tokenizer;
import java.io.PrintWriter;
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
        return JsonlLines.read(file, "{\"text\": \"...\"}").stream()
                .map(line -> line.string("text", true))
                .toList();
    }
}
