package dev.peft4j.train.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Examples grouped into padded batches, in a new order each epoch.
 *
 * <p>An epoch shuffles the examples with a {@link Random} seeded from the seed and the epoch, then
 * groups them by length as transformers' {@code group_by_length} does: the shuffled order is split
 * into mega-batches of {@code m * batchSize} examples, each mega-batch is sorted by length (longest
 * first, ties in shuffled order) and cut into batches, which keep the order they come in. As in
 * transformers, {@code m} is {@code min(n / (4 * batchSize), 50)}, at least 1, for {@code n}
 * examples, so that a small data set still has more than one mega-batch to shuffle between. Every
 * batch but the last has {@code batchSize} rows; rows are padded on the right to the batch's longest
 * example.
 */
public final class Batches {

    private static final int MAX_MEGA_BATCH_MULTIPLIER = 50;

    private final List<TrainingExample> examples;
    private final int batchSize;
    private final long padId;
    private final long seed;
    private final int megaBatchSize;

    /**
     * Groups examples into batches.
     *
     * @param examples the examples, at least one
     * @param batchSize the rows of a batch, at least 1
     * @param padId the token id that pads rows on the right
     * @param seed the seed of the shuffles
     * @throws NullPointerException when the list or one of its examples is null
     * @throws IllegalArgumentException when there are no examples or {@code batchSize} is less than 1
     */
    public Batches(List<TrainingExample> examples, int batchSize, long padId, long seed) {
        this.examples = List.copyOf(examples);
        if (this.examples.isEmpty()) {
            throw new IllegalArgumentException("No examples to batch");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize is " + batchSize + "; expected at least 1");
        }
        this.batchSize = batchSize;
        this.padId = padId;
        this.seed = seed;
        long multiplier = Math.max(1, Math.min(this.examples.size() / (4L * batchSize), MAX_MEGA_BATCH_MULTIPLIER));
        this.megaBatchSize = (int) Math.min(Integer.MAX_VALUE, multiplier * batchSize);
    }

    /**
     * The batches of one epoch: every example exactly once. The same seed and epoch give the same
     * batches.
     *
     * @param epoch the epoch, from 0
     * @return {@link #batchesPerEpoch()} batches
     * @throws IllegalArgumentException when {@code epoch} is negative
     */
    public List<Batch> epoch(int epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch is " + epoch + "; expected at least 0");
        }
        Integer[] order = shuffled(new Random(epochSeed(seed, epoch)));
        Comparator<Integer> longestFirst =
                Comparator.comparingInt(i -> -examples.get(i).inputIds().length);
        for (int start = 0; start < order.length; start += megaBatchSize) {
            Arrays.sort(order, start, Math.min(order.length, start + megaBatchSize), longestFirst);
        }
        List<Batch> batches = new ArrayList<>(batchesPerEpoch());
        for (int start = 0; start < order.length; start += batchSize) {
            batches.add(batch(Arrays.asList(order).subList(start, Math.min(order.length, start + batchSize))));
        }
        return batches;
    }

    /**
     * The number of batches of an epoch.
     *
     * @return the examples divided by the batch size, rounded up
     */
    public int batchesPerEpoch() {
        return (examples.size() + batchSize - 1) / batchSize;
    }

    @Override
    public String toString() {
        return "Batches[" + examples.size() + " examples, batch size " + batchSize + ", seed " + seed + "]";
    }

    private Integer[] shuffled(Random random) {
        Integer[] order = new Integer[examples.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Integer swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    private Batch batch(List<Integer> indices) {
        int rows = indices.size();
        int length = 0;
        for (int index : indices) {
            length = Math.max(length, examples.get(index).inputIds().length);
        }
        long[] inputIds = new long[rows * length];
        long[] attentionMask = new long[rows * length];
        boolean[] trained = new boolean[rows * length];
        Arrays.fill(inputIds, padId);
        for (int row = 0; row < rows; row++) {
            TrainingExample example = examples.get(indices.get(row));
            int size = example.inputIds().length;
            System.arraycopy(example.inputIds(), 0, inputIds, row * length, size);
            Arrays.fill(attentionMask, row * length, row * length + size, 1L);
            System.arraycopy(example.trained(), 0, trained, row * length, size);
        }
        return new Batch(inputIds, attentionMask, trained, rows, length);
    }

    /** A seed for the epoch's {@link Random}: SplitMix64's mixing of the seed, plus the epoch, mixed again. */
    private static long epochSeed(long seed, int epoch) {
        return mix(mix(seed) + epoch * 0x9E3779B97F4A7C15L);
    }

    private static long mix(long value) {
        long z = (value ^ (value >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
