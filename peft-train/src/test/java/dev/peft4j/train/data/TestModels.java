package dev.peft4j.train.data;

import com.google.gson.JsonObject;
import dev.peft4j.models.testing.SharedModels;
import dev.peft4j.models.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real tokenizers of the project's test data, and small model directories
 * written for a test. Tests that need a shared model are skipped where it is absent.
 */
final class TestModels {

    /** A TinyStories Llama: SentencePiece-style BPE that adds a BOS (1); EOS 2; no chat template. */
    static final String STORIES_260K = SharedModels.STORIES_260K;

    /** SmolLM2-135M-Instruct's tokenizer: byte-level BPE, no BOS added, EOS {@code <|im_end|>} (2), ChatML. */
    static final String SMOLLM2 = SharedModels.SMOLLM2;

    /**
     * A word-level tokenizer.json with no post-processor and no EOS: {@code a} = 1, {@code b} = 2,
     * {@code c} = 3, unknown words 0.
     */
    static final String WORD_LEVEL = """
            {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
             "decoder": null,
             "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "a": 1, "b": 2, "c": 3}, "unk_token": "<unk>"}}
            """;

    private TestModels() {}

    /**
     * A shared model's directory; skips the calling test when there is none.
     *
     * @param name the model's directory name
     * @return the directory
     */
    static Path model(String name) {
        return SharedModels.model(name);
    }

    /**
     * A shared model's tokenizer.
     *
     * @param name the model's directory name
     * @return the tokenizer; close it
     */
    static Tokenizer tokenizer(String name) {
        return Tokenizer.load(model(name));
    }

    /**
     * A model directory holding stories260k's tokenizer.json and a tokenizer_config.json with the
     * given chat template (BOS {@code <s>}, EOS {@code </s>}).
     *
     * @param dir an empty directory
     * @param template the Jinja2 text
     * @return the tokenizer; close it
     */
    static Tokenizer storiesWithTemplate(Path dir, String template) {
        Path stories = model(STORIES_260K);
        try {
            Files.copy(stories.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
            JsonObject config = new JsonObject();
            config.addProperty("bos_token", "<s>");
            config.addProperty("eos_token", "</s>");
            config.addProperty("chat_template", template);
            Files.writeString(dir.resolve("tokenizer_config.json"), config.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Tokenizer.load(dir);
    }

    /**
     * A model directory holding {@link #WORD_LEVEL} only.
     *
     * @param dir an empty directory
     * @return the tokenizer; close it
     */
    static Tokenizer wordLevel(Path dir) {
        try {
            Files.writeString(dir.resolve("tokenizer.json"), WORD_LEVEL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Tokenizer.load(dir);
    }
}
