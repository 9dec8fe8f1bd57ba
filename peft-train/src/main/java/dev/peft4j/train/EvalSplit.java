package dev.peft4j.train;

import dev.peft4j.spi.PeftException;
import dev.peft4j.train.data.TrainingData;
import dev.peft4j.train.data.TrainingExample;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Holds out a fraction of the training data for evaluation: the examples are shuffled with the seed
 * and the last ⌈fraction·n⌉ become the evaluation set (at least one, and at least one left to train on).
 *
 * @param train what is trained on
 * @param eval what is evaluated on
 */
public record EvalSplit(TrainingData train, TrainingData eval) {

    /**
     * Splits data.
     *
     * @param data the data
     * @param fraction the share held out, in (0, 1)
     * @param seed the shuffle's seed
     * @return the two sets
     * @throws IllegalArgumentException when the fraction is not in (0, 1)
     * @throws PeftException when the data has fewer than two examples
     */
    public static EvalSplit of(TrainingData data, double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("The eval fraction must be in (0, 1), got " + fraction);
        }
        int n = data.examples().size();
        if (n < 2) {
            throw new PeftException(
                    data.source() + " has " + n + " example; holding some out for evaluation needs at least 2");
        }
        List<TrainingExample> shuffled = new ArrayList<>(data.examples());
        Collections.shuffle(shuffled, new Random(seed));
        int held = Math.min(n - 1, Math.max(1, (int) Math.ceil(fraction * n)));
        List<TrainingExample> train = shuffled.subList(0, n - held);
        List<TrainingExample> eval = shuffled.subList(n - held, n);
        return new EvalSplit(part(data, train), part(data, eval));
    }

    private static TrainingData part(TrainingData data, List<TrainingExample> examples) {
        long trained =
                examples.stream().mapToLong(TrainingExample::trainedTokens).sum();
        return new TrainingData(examples, 0, trained, data.source());
    }
}
