package dev.peft4j.cli;

import dev.peft4j.models.CausalLm;
import dev.peft4j.models.GenerationConfig;
import dev.peft4j.models.Generator;
import dev.peft4j.models.text.ChatMessage;
import dev.peft4j.models.text.ChatTemplate;
import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.spi.PeftException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
            required = true,
            paramLabel = "TEXT",
            description = "The prompt (repeatable: the prompts are generated together as one batch).")
    private List<String> prompts = new ArrayList<>();

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
        modelOptions.declare(parent.paths()).check();
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
            List<long[]> outputs = new Generator(lm).generateIds(inputs, config);
            PrintWriter out = spec.commandLine().getOut();
            for (long[] output : outputs) {
                out.println(tokenizer.decode(output, true));
            }
            out.flush();
        }
        return 0;
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
