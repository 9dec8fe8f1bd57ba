package dev.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.Backend;

/**
 * The fixed cost of one native call: adding two 1-element arrays and closing the result, where the
 * arithmetic is nothing and the crossing into the engine (JNI or JNA, dispatch, allocation) is
 * everything. It bounds how fast any sequence of small operations can run.
 */
final class TinyOpCost {

    private static final int BATCHES = 5;

    private TinyOpCost() {}

    /**
     * Measures the cost, as the median over batches after one warm-up batch.
     *
     * @param backend the engine and device
     * @param calls the calls per batch, positive
     * @return microseconds per call
     */
    static double micros(Backend backend, int calls) {
        if (calls <= 0) {
            throw new IllegalArgumentException("Tiny-op calls must be positive, got " + calls);
        }
        try (NDManager manager = backend.newManager()) {
            NDArray a = manager.create(new float[] {1f});
            NDArray b = manager.create(new float[] {2f});
            batch(manager, a, b, calls);
            double[] micros = new double[BATCHES];
            for (int i = 0; i < BATCHES; i++) {
                micros[i] = batch(manager, a, b, calls);
            }
            return PairedTiming.median(micros);
        }
    }

    private static double batch(NDManager manager, NDArray a, NDArray b, int calls) {
        long start = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            a.add(b).close();
        }
        EngineSync.await(manager);
        return (System.nanoTime() - start) / 1e3 / calls;
    }
}
