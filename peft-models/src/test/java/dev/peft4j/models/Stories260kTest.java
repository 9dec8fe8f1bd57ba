package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.models.testing.Reference;
import dev.peft4j.models.testing.SharedModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real pretrained stories260k against what transformers and PEFT computed (reference data
 * from {@code interop/run}): greedy continuation, perplexity of a paragraph, a LoRA adapter
 * trained by PEFT.
 */
class Stories260kTest {

    private static final JsonObject EXPECTED = Reference.json("stories260k.json");

    static List<String> engines() {
        return ReferenceLogitsTest.engines().toList();
    }

    private static CausalLm load(String engine) {
        return CausalLm.load(SharedModels.model(SharedModels.STORIES_260K), ReferenceLogitsTest.backend(engine));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void greedyContinuationEqualsTransformers(String engine) {
        long[] prompt = Reference.longs(EXPECTED.getAsJsonArray("input_ids"));
        long[] expected = Reference.longs(EXPECTED.getAsJsonArray("greedy_ids"));
        try (CausalLm lm = load(engine)) {
            long[] generated = new Generator(lm)
                    .generateIds(List.of(prompt), GenerationConfig.greedy(30))
                    .get(0);
            assertArrayEquals(expected, generated);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void batchedPromptsOfDifferentLengthsGenerateWhatEachGeneratesAlone(String engine) {
        long[] paragraph = Reference.longs(EXPECTED.getAsJsonArray("paragraph_ids"));
        long[] shortPrompt = Reference.longs(EXPECTED.getAsJsonArray("input_ids"));
        long[] longPrompt = Arrays.copyOf(paragraph, 12);
        try (CausalLm lm = load(engine)) {
            Generator generator = new Generator(lm);
            GenerationConfig config = GenerationConfig.greedy(12);
            List<long[]> together = generator.generateIds(List.of(shortPrompt, longPrompt), config);
            assertArrayEquals(
                    generator.generateIds(List.of(shortPrompt), config).get(0), together.get(0));
            assertArrayEquals(generator.generateIds(List.of(longPrompt), config).get(0), together.get(1));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void perplexityEqualsTransformers(String engine) {
        long[] paragraph = Reference.longs(EXPECTED.getAsJsonArray("paragraph_ids"));
        try (CausalLm lm = load(engine)) {
            Perplexity.Score score = new Perplexity(lm, 4).score(List.of(paragraph));
            assertEquals(EXPECTED.get("paragraph_tokens").getAsLong(), score.tokens());
            assertEquals(EXPECTED.get("paragraph_mean_nll").getAsDouble(), score.meanNll(), 1e-4);
            // scored in one batch with a shorter sequence (right padding), the paragraph's part is unchanged
            Perplexity.Score shorter = new Perplexity(lm, 1).score(List.of(Arrays.copyOf(paragraph, 9)));
            Perplexity.Score both = new Perplexity(lm, 2).score(List.of(paragraph, Arrays.copyOf(paragraph, 9)));
            double expectedTotal = score.meanNll() * score.tokens() + shorter.meanNll() * shorter.tokens();
            assertEquals(expectedTotal, both.meanNll() * both.tokens(), 1e-3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void peftLoraAdapterGivesPeftLogits(String engine) {
        JsonObject expected = Reference.json("stories260k-lora/expected.json");
        long[] ids = Reference.longs(expected.getAsJsonArray("input_ids"));
        try (CausalLm lm = load(engine);
                NDManager manager = lm.newManager()) {
            NDArray input = manager.create(ids).reshape(1, ids.length);
            assertMaxDifference(Reference.floats(expected.getAsJsonArray("base_logits")), lm.logits(input, null));
            PeftModel peft = PeftModel.wrap(lm.block());
            PeftAdapters.load(peft, "default", Reference.resource("stories260k-lora"), PathMap.identity());
            assertEquals(20, peft.layers().size(), "q, v, o and down_proj of 5 layers");
            assertMaxDifference(Reference.floats(expected.getAsJsonArray("logits")), lm.logits(input, null));
            peft.merge();
            assertMaxDifference(Reference.floats(expected.getAsJsonArray("logits")), lm.logits(input, null));
        }
    }

    private static void assertMaxDifference(float[] expected, NDArray actual) {
        float[] values = actual.toFloatArray();
        assertEquals(expected.length, values.length);
        double worst = 0;
        for (int i = 0; i < values.length; i++) {
            worst = Math.max(worst, Math.abs(values[i] - expected[i]));
        }
        assertEquals(0, worst, 1e-4, "largest |peft4j − PEFT| over the logits");
    }
}
