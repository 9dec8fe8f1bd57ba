package dev.peft4j.models.testing;

import dev.peft4j.testkit.TestData;
import java.nio.file.Path;

/**
 * The real Hugging Face models in the project's test data (see {@link TestData}). Tests that need
 * them are skipped where they are absent.
 */
public final class SharedModels {

    /** A 260K-parameter Llama trained on TinyStories; SentencePiece-style BPE, 512 tokens. */
    public static final String STORIES_260K = "stories260k";

    /** SmolLM2-135M-Instruct's configuration and tokenizer (byte-level BPE, ChatML template), no weights. */
    public static final String SMOLLM2 = "smollm2-135m-config";

    private SharedModels() {}

    /**
     * A model's directory in the project's test data; skips the calling test when it is absent.
     *
     * @param name the model's directory name
     * @return the directory
     */
    public static Path model(String name) {
        return TestData.directory("models/" + name);
    }
}
