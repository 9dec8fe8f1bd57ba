package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The thread-safety contract of {@link PeftModel}: one model, with every adapter/operator
 * combination on every layer (and DoRA's eval cache on), serves inference forwards from several
 * threads at once: each thread gets the single-threaded results, on every engine, and the forwards
 * leave no array behind but the caches a single-threaded forward builds, each built once (DoRA's eval
 * cache, the adapters' constants).
 */
class ConcurrentInferenceIT {

    private static final int THREADS = 4;
    private static final int ROUNDS = 15;
    private static final int BATCHES = 8;
    private static final double TOLERANCE = 1e-6;

    @ParameterizedTest
    @EngineSource
    void severalThreadsGetTheSingleThreadedOutputs(EngineBinding engine) throws Exception {
        Backend backend = new Backend(engine, Device.cpu());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (NDManager manager = backend.newManager()) {
            PeftModel model = EveryAdapter.addAll(Mlp.wrap(manager, ItPlugins.registry()), ItPlugins.registry());
            Mlp.randomizeAdapters(model, 13);
            List<float[]> expected = new ArrayList<>();
            for (int batch = 0; batch < BATCHES; batch++) {
                try (NDManager call = manager.newSubManager()) {
                    expected.add(Mlp.predict(model, Mlp.input(call, batch, 4)));
                }
            }
            model.invalidateCaches();
            int arraysBefore = ((BaseNDManager) manager).getManagedArrays().size();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> threads = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                int offset = thread;
                Callable<Integer> forwards = () -> {
                    start.await();
                    int checked = 0;
                    for (int round = 0; round < ROUNDS; round++) {
                        for (int i = 0; i < BATCHES; i++) {
                            int batch = (i + offset) % BATCHES;
                            try (NDManager call = manager.newSubManager()) {
                                Close.assertClose(
                                        expected.get(batch),
                                        Mlp.predict(model, Mlp.input(call, batch, 4)),
                                        TOLERANCE,
                                        engine + ", thread " + offset + ", batch " + batch);
                            }
                            checked++;
                        }
                    }
                    return checked;
                };
                threads.add(pool.submit(forwards));
            }
            start.countDown();
            int checked = 0;
            for (Future<Integer> thread : threads) {
                checked += thread.get();
            }
            assertEquals(THREADS * ROUNDS * BATCHES, checked);
            int afterConcurrent = ((BaseNDManager) manager).getManagedArrays().size();
            model.invalidateCaches();
            assertEquals(
                    arraysBefore,
                    ((BaseNDManager) manager).getManagedArrays().size(),
                    engine + ": the forwards leave nothing but caches");
            for (int batch = 0; batch < BATCHES; batch++) {
                try (NDManager call = manager.newSubManager()) {
                    Mlp.predict(model, Mlp.input(call, batch, 4));
                }
            }
            assertEquals(
                    afterConcurrent,
                    ((BaseNDManager) manager).getManagedArrays().size(),
                    engine + ": concurrent forwards build each cache once, as single-threaded ones do (DoRA's m/n and"
                            + " ‖W0‖², the adapters' constants)");
        } finally {
            pool.shutdownNow();
        }
    }
}
