package dev.peft4j.cli;

import static dev.peft4j.cli.MergeFiles.floats;
import static dev.peft4j.cli.MergeFiles.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.peft4j.cli.MergeFiles.Tensor;
import dev.peft4j.core.io.PeftAdapterConfig;
import dev.peft4j.core.io.StreamingMerge;
import dev.peft4j.safetensors.SafetensorsDtype;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineSource;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * The merge holds about one tensor at a time: on a 12-tensor model of 2–4 MB per tensor (F32 and
 * BF16 weights, half of them adapted), the JVM's memory in use rises during the merge by a small
 * multiple of the largest tensor, far less than the model.
 *
 * <p>What it measures: a background thread samples, every millisecond, the heap in use plus the
 * JVM's direct buffers ({@link MemoryMXBean#getHeapMemoryUsage()} and the {@code direct} {@link
 * BufferPoolMXBean}), and the test takes the highest sample minus the level before the merge.
 * That is where the merge's Java-side data lives: the buffers tensors are read through, the bytes
 * written out and, on PyTorch, the memory of arrays made from Java data. Garbage counts too, so
 * the merge must not leave a tensor-sized buffer behind per tensor. Memory the engines allocate
 * natively for their own results is not visible to the JVM and not measured; each tensor's arrays
 * are closed, with their sub-manager, before the next. A first merge warms the JVM up (class
 * loading, compilation); the second is measured.
 *
 * <p>DJL's MXNet engine hands every array to Java in a new direct buffer, which the JVM frees only
 * at its next collection, so on MXNet each merged weight leaves its float32 size behind until
 * then; the bound on MXNet allows for those copies (PyTorch gives its memory to Java directly).
 */
class StreamingMergeMemoryTest {

    private static final int HIDDEN = 640;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EngineSource
    void peakMemoryIsASmallMultipleOfTheLargestTensor(EngineBinding engine) throws InterruptedException {
        Random random = new Random(17);
        List<Tensor> base = new ArrayList<>();
        List<Tensor> adapter = new ArrayList<>();
        base.add(floats("embed.weight", SafetensorsDtype.F32, gaussian(random, 1600 * HIDDEN, 1), 1600, HIDDEN));
        base.add(floats("head.weight", SafetensorsDtype.F32, gaussian(random, 800 * HIDDEN, 1), 800, HIDDEN));
        for (int layer = 0; layer < 5; layer++) {
            String q = "layers." + layer + ".q";
            SafetensorsDtype dtype = layer == 0 ? SafetensorsDtype.BF16 : SafetensorsDtype.F32;
            float[] weight = dtype == SafetensorsDtype.BF16
                    ? MergeFiles.exact(random, 1536 * HIDDEN, 1)
                    : gaussian(random, 1024 * HIDDEN, 1);
            int d = weight.length / HIDDEN;
            base.add(floats(q + ".weight", dtype, weight, d, HIDDEN));
            base.add(floats(
                    "layers." + layer + ".mlp.weight",
                    SafetensorsDtype.F32,
                    gaussian(random, 1536 * HIDDEN, 1),
                    1536,
                    HIDDEN));
            adapter.add(
                    floats(q + ".lora_A.weight", SafetensorsDtype.F32, gaussian(random, 8 * HIDDEN, 0.1), 8, HIDDEN));
            adapter.add(floats(q + ".lora_B.weight", SafetensorsDtype.F32, gaussian(random, d * 8, 0.1), d, 8));
        }
        long largest = base.stream().mapToLong(t -> t.spec().byteSize()).max().orElseThrow();
        long mergedAsFloat32 = base.stream()
                .filter(t -> t.name().endsWith(".q.weight"))
                .mapToLong(t -> t.spec().elementCount() * Float.BYTES)
                .sum();
        long model = base.stream().mapToLong(t -> t.spec().byteSize()).sum();
        Path basePath = MergeFiles.write(dir.resolve("model.safetensors"), base, Map.of());
        Path adapterPath = MergeFiles.adapter(
                dir.resolve("adapter"),
                PeftAdapterConfig.builder()
                        .setR(8)
                        .optLoraAlpha(16)
                        .setTargetModules(List.of("q"))
                        .build(),
                adapter);
        base.clear();
        adapter.clear();

        try (NDManager manager =
                NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName())) {
            StreamingMerge.merge(
                    basePath,
                    adapterPath,
                    dir.resolve("warm-up.safetensors"),
                    manager,
                    StreamingMerge.Options.defaults());
            long before = settledUse();
            long start = System.nanoTime();
            StreamingMerge.Summary summary;
            long peak;
            try (Sampler sampler = new Sampler()) {
                summary = StreamingMerge.merge(
                        basePath,
                        adapterPath,
                        dir.resolve("merged.safetensors"),
                        manager,
                        StreamingMerge.Options.defaults());
                peak = sampler.peak();
            }
            long seconds = (System.nanoTime() - start) / 1_000_000;
            long increase = peak - before;
            System.out.printf(
                    "streaming merge on %s: peak increase %.1f MB, largest tensor %.1f MB, model %.1f MB, %d ms%n",
                    engine.name(), increase / 1e6, largest / 1e6, model / 1e6, seconds);
            assertEquals(new StreamingMerge.Summary(5, 0, 7), summary);
            if (engine.name().equals("mxnet")) {
                assertTrue(
                        increase < 4 * largest + mergedAsFloat32,
                        () -> "peak increase " + increase + " bytes, largest tensor " + largest
                                + ", MXNet's copies of the merged weights " + mergedAsFloat32);
            } else {
                assertTrue(
                        increase < 4 * largest,
                        () -> "peak increase " + increase + " bytes, largest tensor " + largest);
                assertTrue(increase < model / 2, () -> "peak increase " + increase + " bytes, model " + model);
            }
        }
    }

    /** {@link #used()} once garbage, direct buffers included, is collected: after collections until it stops falling. */
    private static long settledUse() throws InterruptedException {
        long previous = Long.MAX_VALUE;
        long now = used();
        while (now < previous) {
            System.gc();
            Thread.sleep(50);
            previous = now;
            now = used();
        }
        return Math.min(now, previous);
    }

    /** The heap in use plus the JVM's direct buffers, in bytes. */
    private static long used() {
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct"))
                .mapToLong(BufferPoolMXBean::getMemoryUsed)
                .sum();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() + direct;
    }

    /** Samples {@link #used()} every millisecond on a daemon thread until closed. */
    private static final class Sampler implements AutoCloseable {
        private final AtomicLong peak = new AtomicLong(used());
        private final Thread thread;
        private volatile boolean running = true;

        Sampler() {
            thread = new Thread(
                    () -> {
                        while (running) {
                            peak.accumulateAndGet(used(), Math::max);
                            try {
                                Thread.sleep(1);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "memory-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        long peak() throws InterruptedException {
            running = false;
            thread.join();
            return peak.accumulateAndGet(used(), Math::max);
        }

        @Override
        public void close() {
            running = false;
        }
    }
}
