package dev.peft4j.experiments.memorize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * N random UUID → UUID pairs, generated from a seed: the MoRA paper's memorization task. Each UUID
 * is 32 hexadecimal characters (128 random bits); given the key, the model produces the value's
 * 32 characters.
 */
public final class UuidPairs {

    /** Characters per UUID. */
    static final int LENGTH = 32;
    /** Symbols per character. */
    static final int SYMBOLS = 16;

    private final int[][] keys;
    private final int[][] values;

    private UuidPairs(int[][] keys, int[][] values) {
        this.keys = keys;
        this.values = values;
    }

    /**
     * Generates pairs.
     *
     * @param count N, positive
     * @param seed the seed
     * @return the pairs
     */
    public static UuidPairs generate(int count, long seed) {
        if (count <= 0) {
            throw new IllegalArgumentException("--pairs must be positive, got " + count);
        }
        Random random = new Random(seed);
        int[][] keys = new int[count][];
        int[][] values = new int[count][];
        for (int i = 0; i < count; i++) {
            keys[i] = randomUuid(random);
            values[i] = randomUuid(random);
        }
        return new UuidPairs(keys, values);
    }

    private static int[] randomUuid(Random random) {
        int[] digits = new int[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            digits[i] = random.nextInt(SYMBOLS);
        }
        return digits;
    }

    /**
     * N.
     *
     * @return the number of pairs
     */
    int size() {
        return keys.length;
    }

    /**
     * The value of a pair as text.
     *
     * @param index the pair
     * @return 32 lower-case hexadecimal characters
     */
    String valueText(int index) {
        return text(values[index]);
    }

    /**
     * The key of a pair as text.
     *
     * @param index the pair
     * @return 32 lower-case hexadecimal characters
     */
    String keyText(int index) {
        return text(keys[index]);
    }

    private static String text(int[] digits) {
        StringBuilder text = new StringBuilder(LENGTH);
        for (int digit : digits) {
            text.append(Character.forDigit(digit, SYMBOLS));
        }
        return text.toString();
    }

    /**
     * The keys of some pairs, one-hot: (n, 32·16).
     *
     * @param manager the owner
     * @param indices the pairs
     * @return the encoded keys
     */
    NDArray encodeKeys(NDManager manager, int[] indices) {
        return oneHot(manager, keys, indices);
    }

    /**
     * The values of some pairs, one-hot: (n, 32, 16).
     *
     * @param manager the owner
     * @param indices the pairs
     * @return the encoded values
     */
    NDArray encodeValues(NDManager manager, int[] indices) {
        return oneHot(manager, values, indices).reshape(indices.length, LENGTH, SYMBOLS);
    }

    /**
     * The value digits of some pairs: (n, 32), as integers.
     *
     * @param manager the owner
     * @param indices the pairs
     * @return the digits
     */
    NDArray valueDigits(NDManager manager, int[] indices) {
        int[] flat = new int[indices.length * LENGTH];
        for (int row = 0; row < indices.length; row++) {
            System.arraycopy(values[indices[row]], 0, flat, row * LENGTH, LENGTH);
        }
        return manager.create(flat, new Shape(indices.length, LENGTH));
    }

    private static NDArray oneHot(NDManager manager, int[][] uuids, int[] indices) {
        float[] flat = new float[indices.length * LENGTH * SYMBOLS];
        for (int row = 0; row < indices.length; row++) {
            int[] digits = uuids[indices[row]];
            for (int position = 0; position < LENGTH; position++) {
                flat[(row * LENGTH + position) * SYMBOLS + digits[position]] = 1f;
            }
        }
        return manager.create(flat, new Shape(indices.length, LENGTH * SYMBOLS));
    }
}
