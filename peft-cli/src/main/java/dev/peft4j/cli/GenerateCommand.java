package dev.peft4j.cli;

import dev.peft4j.models.CausalLm;
import dev.peft4j.models.GenerationConfig;
import dev.peft4j.models.Generator;
import dev.peft4j.models.text.ChatMessage;
import dev.peft4j.models.text.ChatTemplate;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.PeftException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code peft4j generate}: continues prompts with a model and its adapters; prints only the new text. */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description =
                "Generate text with a pretrained causal LM (Llama, Mistral, Qwen2, GPT-2) and optional PEFT adapters. "
                        + "Prints only the continuation of each prompt, one per line; logs go to standard error.")
final class GenerateCommand implements Callable<Integer> {

    @ParentCommand
    private Peft4jCommand parent;

    @Spec
    private CommandSpec spec;

    @Mixin
    private ModelOptions modelOptions;

    @Option(
            names = "--prompt",
            paramLabel = "TEXT",
            description = "The prompt (repeatable: the prompts are generated together as one batch).")
    private List<String> prompts = new ArrayList<>();

    @Option(
            names = "--prompts",
            paramLabel = "FILE",
            description =
                    "A JSONL file of prompts, one {\"prompt\": \"...\"} per line, optionally with \"adapter\": NAME"
                            + " to generate that prompt with that adapter only (\"none\" for the base model). When"
                            + " any line names an adapter, every prompt without one runs the base model; when none"
                            + " does, --use applies. Its prompts follow those of --prompt.")
    private Path promptFile;

    @Option(
            names = "--use",
            paramLabel = "NAME",
            description =
                    "The adapter each prompt runs with (a name given as --adapter NAME=DIR, or none for the base"
                            + " model): once for every prompt, or once per prompt in order (default: every adapter, adding up).")
    private List<String> uses = new ArrayList<>();

    @Option(names = "--chat", description = "Render each prompt as a user message with the model's chat template.")
    private boolean chat;

    @Option(
            names = "--max-new-tokens",
            paramLabel = "N",
            defaultValue = "64",
            description = "At most N new tokens (default: 64).")
    private int maxNewTokens;

    @Option(
            names = "--temperature",
            paramLabel = "T",
            defaultValue = "0",
            description = "0 for greedy decoding (default); above 0 samples from softmax(logits / T).")
    private double temperature;

    @Option(
            names = "--top-k",
            paramLabel = "K",
            defaultValue = "0",
            description = "Sample among the K most likely tokens (0: all).")
    private int topK;

    @Option(
            names = "--top-p",
            paramLabel = "P",
            defaultValue = "1",
            description = "Sample among the most likely tokens whose probability reaches P (1: all).")
    private double topP;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Sampling seed (default: 0).")
    private long seed;

    /** The adapter name of the base model, for --use and the "adapter" of --prompts lines. */
    private static final String NONE = ModelOptions.BASE_MODEL;

    /** The members a --prompts line may have. */
    private static final Set<String> PROMPT_KEYS = Set.of("prompt", "adapter");

    /** GenerationConfig's names of the values and the flags that set them, for messages. */
    private static final Map<String, String> FLAG_NAMES = Map.of(
            "maxNewTokens", "--max-new-tokens", "temperature", "--temperature", "topK", "--top-k", "topP", "--top-p");

    @Override
    public Integer call() {
        GenerationConfig config;
        try {
            config = new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, Set.of());
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            for (Map.Entry<String, String> flag : FLAG_NAMES.entrySet()) {
                message = message.replace(flag.getKey(), flag.getValue());
            }
            throw new ParameterException(spec.commandLine(), message);
        }
        CommandPaths paths = modelOptions.declare(parent.paths());
        if (promptFile != null) {
            paths.readsFile("--prompts", promptFile);
        }
        paths.check();
        List<String> rowAdapters = readPrompts();
        try (CausalLm lm = modelOptions.load(parent.plugins())) {
            Tokenizer tokenizer = lm.requireTokenizer();
            List<long[]> inputs = new ArrayList<>();
            for (String prompt : prompts) {
                inputs.add(chat ? chatPrompt(tokenizer, prompt) : tokenizer.encode(prompt, true));
            }
            int longest = inputs.stream().mapToInt(input -> input.length).max().orElse(0);
            int positions = lm.config().maxPositions();
            if (longest + maxNewTokens > positions) {
                throw new PeftException("A prompt of " + longest + " tokens and --max-new-tokens " + maxNewTokens
                        + " exceed the model's " + positions
                        + " positions (max_position_embeddings): give --max-new-tokens "
                        + Math.max(1, positions - longest) + " or less, or a shorter prompt");
            }
            List<long[]> outputs = rowAdapters == null
                    ? new Generator(lm).generateIds(inputs, config)
                    : new Generator(lm).generateIds(inputs, config, rowAdapters);
            PrintWriter out = spec.commandLine().getOut();
            for (long[] output : outputs) {
                out.println(tokenizer.decode(output, true));
            }
            out.flush();
        }
        return 0;
    }

    /**
     * Adds the file's prompts to {@code prompts} and works out each prompt's adapter.
     *
     * @return one adapter name (or {@code null}) per prompt, or {@code null} when every adapter runs
     */
    private List<String> readPrompts() {
        Set<String> loaded = modelOptions.adapterDirectories().keySet();
        List<String> fromFile = new ArrayList<>();
        if (promptFile != null) {
            for (JsonlLines.Line line : JsonlLines.read(promptFile, "{\"prompt\": \"...\", \"adapter\": \"NAME\"}")) {
                line.requireOnly(PROMPT_KEYS);
                prompts.add(line.string("prompt", true));
                String name = line.string("adapter", false);
                requireLoaded(name, loaded, line.where() + ": ");
                fromFile.add(name);
            }
        }
        if (prompts.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "Give a --prompt or a --prompts file");
        }
        boolean named = fromFile.stream().anyMatch(Objects::nonNull);
        if (named && !uses.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(), "--use and the \"adapter\" of --prompts lines both pick adapters: give one");
        }
        List<String> picked;
        if (named) {
            int before = prompts.size() - fromFile.size();
            picked = new ArrayList<>(Collections.nCopies(before, (String) null));
            fromFile.forEach(name -> picked.add(name == null ? NONE : name));
        } else if (uses.isEmpty()) {
            return null;
        } else if (uses.size() == 1) {
            picked = new ArrayList<>(Collections.nCopies(prompts.size(), uses.get(0)));
        } else if (uses.size() == prompts.size()) {
            picked = new ArrayList<>(uses);
        } else {
            throw new ParameterException(
                    spec.commandLine(),
                    "--use is given " + uses.size() + " times for " + prompts.size()
                            + " prompts: give it once, or once per prompt");
        }
        uses.forEach(name -> requireLoaded(name, loaded, ""));
        return picked.stream().map(name -> NONE.equals(name) ? null : name).toList();
    }

    private static void requireLoaded(String name, Set<String> loaded, String where) {
        if (name != null && !NONE.equals(name) && !loaded.contains(name)) {
            throw new PeftException(where + "No adapter named '" + name + "'. Adapters: " + loaded
                    + " (name them with --adapter NAME=DIR; none runs the base model)");
        }
    }

    private long[] chatPrompt(Tokenizer tokenizer, String prompt) {
        ChatTemplate template = tokenizer
                .chatTemplate()
                .orElseThrow(
                        () -> new PeftException(
                                "--chat: the model's tokenizer_config.json has no chat_template; drop --chat to use the prompt as it is"));
        String text = template.render(List.of(new ChatMessage("user", prompt)), true);
        return tokenizer.encode(text, false);
    }
}
