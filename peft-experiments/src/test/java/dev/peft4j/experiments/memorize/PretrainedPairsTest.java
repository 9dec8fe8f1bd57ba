package dev.peft4j.experiments.memorize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.models.text.Tokenizer;
import dev.peft4j.testkit.Stories260k;
import dev.peft4j.train.data.TrainingExample;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The pairs as key → value text for a pretrained model, and how answers are scored. */
class PretrainedPairsTest {

    @Test
    void pairsAreKeyPromptsAndValueCompletions() {
        UuidPairs pairs = UuidPairs.generate(5, 7);
        try (Tokenizer tokenizer = Tokenizer.load(Stories260k.directory())) {
            PretrainedPairs data = PretrainedPairs.tokenize(pairs, tokenizer, 2, "stories260k");
            assertEquals(5, data.size());
            for (int i = 0; i < 5; i++) {
                long[] prompt = data.prompts().get(i);
                TrainingExample example = data.examples().get(i);
                long[] ids = example.inputIds();
                assertArrayEquals(tokenizer.encode(pairs.keyText(i), true), prompt);
                assertArrayEquals(prompt, Arrays.copyOf(ids, prompt.length), "the prompt comes first");
                assertEquals(2, ids[ids.length - 1], "then the value and EOS");
                assertEquals(
                        pairs.valueText(i), tokenizer.decode(Arrays.copyOfRange(ids, prompt.length, ids.length), true));
                for (int t = 0; t < ids.length; t++) {
                    assertEquals(
                            t >= prompt.length, example.trained()[t], "loss on the value and EOS only, token " + t);
                }
                assertTrue(data.longestCompletion() >= ids.length - prompt.length);
            }
        }
    }

    @Test
    void characterAccuracyComparesPositions() {
        assertEquals(1.0, PretrainedPairs.characterAccuracy("0a1b", "0a1b"));
        assertEquals(0.75, PretrainedPairs.characterAccuracy("0a1b", "0a1c"));
        assertEquals(0.75, PretrainedPairs.characterAccuracy("0a1b", "fa1b"));
        assertEquals(0.5, PretrainedPairs.characterAccuracy("0a1b", "0a"), "missing characters are wrong");
        assertEquals(0.0, PretrainedPairs.characterAccuracy("0a1b", ""));
        assertEquals(
                1.0, PretrainedPairs.characterAccuracy("0a1b", "0a1bffff"), "characters past the value are ignored");
        assertEquals(
                0.0, PretrainedPairs.characterAccuracy("0a1b", "a1b0"), "a shifted answer is wrong at every position");
        assertEquals(0.25, PretrainedPairs.characterAccuracy("0a1b", "1111"));
        assertEquals("0a1b", PretrainedPairs.answer(" 0a1b"), "the separating space is not part of the answer");
        assertEquals("0a1b", PretrainedPairs.answer("0a1b"));
    }
}
