package dev.peft4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Token choice against probabilities computed by hand: greedy takes the first arg max; sampling
 * frequencies follow softmax(logits / T) restricted by top-k and top-p as transformers' warpers
 * restrict it.
 */
class TokenSamplerTest {

    private static final int DRAWS = 200_000;

    /** ln of the probabilities 0.5, 0.25, 0.15, 0.1: softmax gives them back. */
    private static final float[] LOGITS = {
        (float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.15), (float) Math.log(0.1)
    };

    private static double[] frequencies(GenerationConfig config) {
        TokenSampler sampler = new TokenSampler(config);
        double[] counts = new double[LOGITS.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.next(LOGITS)]++;
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] /= DRAWS;
        }
        return counts;
    }

    private static void assertFrequencies(double[] expected, double[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 0.005, "token " + i);
        }
    }

    @Test
    void greedyTakesTheFirstArgMax() {
        TokenSampler sampler = new TokenSampler(GenerationConfig.greedy(1));
        assertEquals(2, sampler.next(new float[] {0f, 1f, 3f, 3f, -1f}));
    }

    @Test
    void temperatureOneSamplesTheSoftmax() {
        assertFrequencies(
                new double[] {0.5, 0.25, 0.15, 0.1}, frequencies(new GenerationConfig(1, 1, 0, 1, 3, Set.of())));
    }

    @Test
    void temperatureSharpensAndFlattens() {
        // T = 0.5 squares the probabilities before renormalising: 0.25, 0.0625, 0.0225, 0.01 over 0.345
        double sum = 0.25 + 0.0625 + 0.0225 + 0.01;
        assertFrequencies(
                new double[] {0.25 / sum, 0.0625 / sum, 0.0225 / sum, 0.01 / sum},
                frequencies(new GenerationConfig(1, 0.5, 0, 1, 3, Set.of())));
    }

    @Test
    void topKKeepsTheKMostLikely() {
        assertFrequencies(
                new double[] {0.5 / 0.75, 0.25 / 0.75, 0, 0},
                frequencies(new GenerationConfig(1, 1, 2, 1, 3, Set.of())));
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        // p = 0.8: the tail 0.1 + 0.15 = 0.25 > 0.2, so only 0.1 goes; 0.5, 0.25, 0.15 stay
        assertFrequencies(
                new double[] {0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0},
                frequencies(new GenerationConfig(1, 1, 0, 0.8, 3, Set.of())));
        // p = 0.5: 0.5 alone reaches it
        assertFrequencies(new double[] {1, 0, 0, 0}, frequencies(new GenerationConfig(1, 1, 0, 0.5, 3, Set.of())));
    }

    @Test
    void sameSeedSameTokens() {
        GenerationConfig config = new GenerationConfig(1, 1, 0, 1, 11, Set.of());
        TokenSampler first = new TokenSampler(config);
        TokenSampler second = new TokenSampler(config);
        for (int i = 0; i < 100; i++) {
            assertEquals(first.next(LOGITS), second.next(LOGITS));
        }
    }

    @Test
    void badSettingsAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(0, 0, 0, 1, 0, Set.of()))
                .getMessage()
                .contains("maxNewTokens must be ≥ 1, got 0"));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, -1, 0, 1, 0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, Double.NaN, 0, 1, 0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, 1, -1, 1, 0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, 1, 0, 0, 0, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new GenerationConfig(1, 1, 0, 1.5, 0, Set.of()));
    }
}
