package dev.peft4j.bench.jmh;

import dev.peft4j.core.io.AdapterDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/** Saving the adapter as a PEFT directory (config and safetensors, written atomically). */
@State(Scope.Benchmark)
public class SaveBenchmark extends LayerState {

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

    @Override
    protected String method() {
        return method;
    }

    /** Creates the directory the trial writes to. */
    @Override
    protected void prepareTrial() throws IOException {
        directory = Files.createTempDirectory("peft4j-bench-save");
    }

    /**
     * Fails unless the weights file was written.
     *
     * @throws IOException when it cannot be read
     */
    @TearDown(Level.Iteration)
    public void requireWritten() throws IOException {
        Path weights = directory.resolve(AdapterDirectory.WEIGHTS_FILE);
        if (!Files.isRegularFile(weights) || Files.size(weights) == 0) {
            throw new IllegalStateException(workload + ": save wrote no " + weights);
        }
    }

    /** Deletes the directory. */
    @Override
    protected void finishTrial() throws IOException {
        TempDirectories.delete(directory);
    }

    /**
     * One save.
     *
     * @param blackhole consumes the directory
     */
    @Benchmark
    public void save(Blackhole blackhole) {
        workload.save(directory);
        blackhole.consume(directory);
    }
}
