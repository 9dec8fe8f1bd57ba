package dev.peft4j.models.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real Hugging Face models in {@code shared/models}, beside the repository (never copied into
 * it). Tests that need them are skipped where they are absent.
 */
public final class SharedModels {

    /** A 260K-parameter Llama trained on TinyStories; SentencePiece-style BPE, 512 tokens. */
    public static final String STORIES_260K = "stories260k";

    /** SmolLM2-135M-Instruct's configuration and tokenizer (byte-level BPE, ChatML template), no weights. */
    public static final String SMOLLM2 = "smollm2-135m-config";

    private static final Path RELATIVE = Path.of("shared", "models");

    private SharedModels() {}

    /**
     * A model's directory, found by walking up from the working directory; skips the calling test
     * when there is none.
     *
     * @param name the model's directory name
     * @return the directory
     */
    public static Path model(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(RELATIVE).resolve(name);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        assumeTrue(false, "Model " + name + " not found: no shared/models/" + name + " beside the repository");
        throw new AssertionError("unreachable");
    }
}
