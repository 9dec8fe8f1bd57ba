package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchesTest {

    private static final long PAD = -7;

    /**
     * Examples of random lengths 1 to {@code maxLength}; example {@code k}'s token {@code t} is
     * {@code 1000 * k + t}, so a row names its example, and every third token is trained.
     */
    private static List<TrainingExample> examples(int count, int maxLength, long seed) {
        Random random = new Random(seed);
        List<TrainingExample> examples = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int length = 1 + random.nextInt(maxLength);
            long[] ids = new long[length];
            boolean[] trained = new boolean[length];
            for (int t = 0; t < length; t++) {
                ids[t] = 1000L * k + t;
                trained[t] = t > 0 && t % 3 != 0;
            }
            examples.add(new TrainingExample(ids, trained));
        }
        return examples;
    }

    /** The examples of an epoch's rows, by index, checking each row's padding and mask on the way. */
    private static List<Integer> checkRows(List<TrainingExample> examples, List<Batch> batches, int batchSize) {
        List<Integer> seen = new ArrayList<>();
        for (int b = 0; b < batches.size(); b++) {
            Batch batch = batches.get(b);
            assertEquals(b < batches.size() - 1 ? batchSize : (examples.size() - 1) % batchSize + 1, batch.rows());
            int longest = 0;
            int previous = Integer.MAX_VALUE;
            for (int row = 0; row < batch.rows(); row++) {
                int offset = row * batch.length();
                int k = (int) (batch.inputIds()[offset] / 1000);
                TrainingExample example = examples.get(k);
                int size = example.inputIds().length;
                longest = Math.max(longest, size);
                assertTrue(size <= previous, "rows are sorted longest first within a batch");
                previous = size;
                assertArrayEquals(example.inputIds(), Arrays.copyOfRange(batch.inputIds(), offset, offset + size));
                assertArrayEquals(example.trained(), Arrays.copyOfRange(batch.trained(), offset, offset + size));
                for (int t = 0; t < batch.length(); t++) {
                    boolean real = t < size;
                    assertEquals(real ? 1 : 0, batch.attentionMask()[offset + t]);
                    if (!real) {
                        assertEquals(PAD, batch.inputIds()[offset + t]);
                        assertFalse(batch.trained()[offset + t]);
                    }
                }
                seen.add(k);
            }
            assertEquals(longest, batch.length(), "a batch is as long as its longest row");
        }
        return seen;
    }

    private static long padding(List<Batch> batches) {
        return batches.stream()
                .mapToLong(batch -> (long) batch.rows() * batch.length() - batch.realTokens())
                .sum();
    }

    @Test
    void everyExampleOnceAnEpochPaddedOnTheRight() {
        List<TrainingExample> examples = examples(103, 40, 1);
        Batches batches = new Batches(examples, 8, PAD, 42);
        assertEquals(13, batches.batchesPerEpoch());
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Batch> epochBatches = batches.epoch(epoch);
            assertEquals(13, epochBatches.size());
            List<Integer> seen = checkRows(examples, epochBatches, 8);
            Collections.sort(seen);
            List<Integer> all = new ArrayList<>();
            for (int k = 0; k < examples.size(); k++) {
                all.add(k);
            }
            assertEquals(all, seen);
            long trained =
                    examples.stream().mapToLong(TrainingExample::trainedTokens).sum();
            assertEquals(
                    trained,
                    epochBatches.stream().mapToLong(Batch::trainedTokens).sum());
            long real = examples.stream()
                    .mapToLong(example -> example.inputIds().length)
                    .sum();
            assertEquals(
                    real, epochBatches.stream().mapToLong(Batch::realTokens).sum());
        }
    }

    @Test
    void theSameSeedAndEpochGiveTheSameBatches() {
        List<TrainingExample> examples = examples(60, 30, 2);
        assertEquals(new Batches(examples, 4, PAD, 7).epoch(3), new Batches(examples, 4, PAD, 7).epoch(3));
        Batches batches = new Batches(examples, 4, PAD, 7);
        assertEquals(batches.epoch(1), batches.epoch(1));
    }

    @Test
    void epochsAndSeedsDiffer() {
        List<TrainingExample> examples = examples(60, 30, 3);
        Batches batches = new Batches(examples, 4, PAD, 7);
        List<List<Batch>> epochs = new ArrayList<>();
        for (int epoch = 0; epoch < 5; epoch++) {
            epochs.add(batches.epoch(epoch));
        }
        for (int a = 0; a < epochs.size(); a++) {
            for (int b = a + 1; b < epochs.size(); b++) {
                assertNotEquals(epochs.get(a), epochs.get(b), "epochs " + a + " and " + b);
            }
        }
        assertNotEquals(batches.epoch(0), new Batches(examples, 4, PAD, 8).epoch(0));
    }

    @Test
    void smallDataSetsStillShuffle() {
        List<TrainingExample> examples = examples(10, 30, 4);
        Batches batches = new Batches(examples, 4, PAD, 0);
        assertEquals(3, batches.batchesPerEpoch());
        assertNotEquals(batches.epoch(0), batches.epoch(1));
        checkRows(examples, batches.epoch(0), 4);
    }

    @Test
    void groupingByLengthReducesPadding() {
        List<TrainingExample> examples = examples(1000, 200, 5);
        int batchSize = 8;
        List<Batch> grouped = new Batches(examples, batchSize, PAD, 11).epoch(0);
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < examples.size(); k++) {
            order.add(k);
        }
        Collections.shuffle(order, new Random(11));
        long randomPadding = 0;
        for (int start = 0; start < order.size(); start += batchSize) {
            List<Integer> rows = order.subList(start, Math.min(order.size(), start + batchSize));
            int longest = rows.stream()
                    .mapToInt(k -> examples.get(k).inputIds().length)
                    .max()
                    .orElseThrow();
            for (int k : rows) {
                randomPadding += longest - examples.get(k).inputIds().length;
            }
        }
        long groupedPadding = padding(grouped);
        assertTrue(
                groupedPadding * 5 < randomPadding,
                "grouped by length: " + groupedPadding + " padding tokens; random order: " + randomPadding);
    }

    @Test
    void aSingleExample() {
        TrainingExample example = new TrainingExample(new long[] {5, 6, 7}, new boolean[] {false, true, true});
        List<Batch> batches = new Batches(List.of(example), 4, 0, 1).epoch(0);
        assertEquals(
                List.of(new Batch(new long[] {5, 6, 7}, new long[] {1, 1, 1}, new boolean[] {false, true, true}, 1, 3)),
                batches);
    }

    @Test
    void exactPaddingOfOneBatch() {
        List<TrainingExample> examples = List.of(
                new TrainingExample(new long[] {1, 2}, new boolean[] {false, true}),
                new TrainingExample(new long[] {3, 4, 5, 6}, new boolean[] {false, false, true, true}),
                new TrainingExample(new long[] {7}, new boolean[] {false}));
        Batch batch = new Batches(examples, 3, 9, 0).epoch(0).get(0);
        assertEquals(3, batch.rows());
        assertEquals(4, batch.length());
        assertArrayEquals(new long[] {3, 4, 5, 6, 1, 2, 9, 9, 7, 9, 9, 9}, batch.inputIds());
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0}, batch.attentionMask());
        assertArrayEquals(
                new boolean[] {false, false, true, true, false, true, false, false, false, false, false, false},
                batch.trained());
        assertEquals(3, batch.trainedTokens());
        assertEquals(7, batch.realTokens());
    }

    @Test
    void badArgumentsAreApiErrors() {
        List<TrainingExample> examples = examples(5, 5, 6);
        assertThrows(IllegalArgumentException.class, () -> new Batches(List.of(), 4, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Batches(examples, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Batches(examples, 2, 0, 0).epoch(-1));
        assertThrows(NullPointerException.class, () -> new Batches(null, 2, 0, 0));
    }
}
