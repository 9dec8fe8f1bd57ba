package dev.peft4j.bench.jmh;

import ai.djl.ndarray.NDManager;
import dev.peft4j.bench.Workload;
import dev.peft4j.core.PeftModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Loading a saved PEFT directory into a fresh model of the layer's shape (created before each
 * invocation, not timed); each load must reproduce the saved values.
 */
@State(Scope.Benchmark)
public class LoadBenchmark extends LayerState {

    /** The adapter on the layer. */
    @Param({
        "lora",
        "dora",
        "mora-truncation",
        "mora-sharing",
        "mora-sharing-contiguous",
        "mora-sharing-contiguous-tile",
        "mora-sharing-cyclic-interleave",
        "mora-decouple",
        "mora-rotation"
    })
    public String method;

    private Path directory;
    private double savedChecksum;
    private NDManager freshManager;
    private PeftModel fresh;

    @Override
    protected String method() {
        return method;
    }

    /** Saves the trial's adapter once. */
    @Override
    protected void prepareTrial() throws IOException {
        directory = Files.createTempDirectory("peft4j-bench-load");
        workload.save(directory);
        savedChecksum = workload.trainableChecksum();
    }

    /** Prepares an empty model to load into (not timed). */
    @Setup(Level.Invocation)
    public void prepareModel() {
        freshManager = workload.manager().newSubManager();
        fresh = workload.freshModel(freshManager);
    }

    /** Fails unless the load reproduced the saved values, then frees the model. */
    @TearDown(Level.Invocation)
    public void requireLoaded() {
        try {
            double loaded = Workload.adapterChecksum(fresh);
            if (loaded != savedChecksum) {
                throw new IllegalStateException(
                        workload + ": loaded values sum to " + loaded + ", saved " + savedChecksum);
            }
        } finally {
            freshManager.close();
        }
    }

    /** Deletes the directory. */
    @Override
    protected void finishTrial() throws IOException {
        TempDirectories.delete(directory);
    }

    /**
     * One load.
     *
     * @param blackhole consumes the loaded model
     */
    @Benchmark
    public void load(Blackhole blackhole) {
        Workload.load(fresh, directory);
        blackhole.consume(fresh);
    }
}
