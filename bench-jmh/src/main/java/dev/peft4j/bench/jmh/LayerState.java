package dev.peft4j.bench.jmh;

import dev.peft4j.bench.BenchMethod;
import dev.peft4j.bench.BenchSize;
import dev.peft4j.bench.Workload;
import dev.peft4j.core.Backend;
import dev.peft4j.spi.Plugins;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every benchmark shares: the engine, d = k, r and tokens as JMH parameters, one {@link
 * Workload} per trial, and a check after each iteration that the layer still gives finite values.
 * Subclasses declare the {@code method} parameter with the methods that fit them. The device is
 * {@code -Dpeft4j.device} (default: the engine's first GPU, else the CPU).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@State(Scope.Benchmark)
public abstract class LayerState {

    /** The engine: {@code pytorch} or {@code mxnet}. */
    @Param({"pytorch", "mxnet"})
    public String engine;

    /** d = k, the layer's features. */
    @Param({"1024", "4096"})
    public int features;

    /** r, the adapter's rank (unused by {@code base} and {@code fft}). */
    @Param({"8", "64"})
    public int rank;

    /** The rows of the input batch. */
    @Param({"1", "256"})
    public int tokens;

    /** The workload of the trial. */
    protected Workload workload;

    /**
     * The method parameter of the subclass.
     *
     * @return a {@link BenchMethod} name
     */
    protected abstract String method();

    /**
     * Builds the trial's workload, then lets the subclass prepare.
     *
     * @throws IOException when the subclass cannot prepare its files
     */
    @Setup(Level.Trial)
    public void setUpTrial() throws IOException {
        Plugins plugins = Plugins.defaults();
        workload = Workload.create(
                Backend.select(engine, null, plugins),
                plugins,
                BenchMethod.parse(method()),
                new BenchSize(features, rank, tokens));
        prepareTrial();
    }

    /**
     * What a subclass prepares once the workload exists; nothing by default.
     *
     * @throws IOException when files cannot be prepared
     */
    protected void prepareTrial() throws IOException {}

    /** Checks that the layer's eval forward is still finite. */
    @TearDown(Level.Iteration)
    public void checkIteration() {
        workload.validate();
    }

    /**
     * Lets the subclass clean up, then releases the workload's native memory.
     *
     * @throws IOException when the subclass cannot delete its files
     */
    @TearDown(Level.Trial)
    public void tearDownTrial() throws IOException {
        try {
            finishTrial();
        } finally {
            workload.close();
        }
    }

    /**
     * What a subclass cleans up before the workload closes; nothing by default.
     *
     * @throws IOException when files cannot be deleted
     */
    protected void finishTrial() throws IOException {}
}
