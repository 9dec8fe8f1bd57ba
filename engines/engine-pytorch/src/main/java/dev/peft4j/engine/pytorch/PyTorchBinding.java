package dev.peft4j.engine.pytorch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import com.google.auto.service.AutoService;
import dev.peft4j.spi.DjlEngineBinding;
import dev.peft4j.spi.EngineBinding;
import java.util.List;
import java.util.Optional;

/**
 * The {@code pytorch} engine: DJL's PyTorch engine on libtorch 2.7.1, the preferred engine. Its
 * native libraries come from {@code pytorch-native-cpu} and {@code pytorch-jni} (which carries the
 * JNI library for CPU and CUDA 12.8), or, for a GPU, from a CUDA libtorch 2.7.1 the user has, named
 * by the environment variable {@value #LIBRARY_PATH_VARIABLE} (with {@code PYTORCH_VERSION} and
 * {@code PYTORCH_FLAVOR}, as DJL reads them).
 */
@AutoService(EngineBinding.class)
public final class PyTorchBinding extends DjlEngineBinding {

    /** DJL's environment variable for a libtorch directory installed outside Maven. */
    public static final String LIBRARY_PATH_VARIABLE = "PYTORCH_LIBRARY_PATH";

    /** libtorch's intra-op thread count when the engine was first asked for; 0 before. */
    private static int threads;

    /** Creates the binding, looking for the native jars on this class's class path. */
    public PyTorchBinding() {
        this(PyTorchBinding.class.getClassLoader());
    }

    /**
     * Creates the binding, looking for the native jars through a class loader.
     *
     * @param resources where the native jars must be visible
     */
    PyTorchBinding(ClassLoader resources) {
        super(
                "pytorch",
                "PyTorch",
                0,
                List.of(
                        new NativeJar(
                                "native/lib/pytorch.properties",
                                "ai.djl.pytorch:pytorch-native-cpu:2.7.1:" + platform(),
                                LIBRARY_PATH_VARIABLE),
                        new NativeJar("jnilib/pytorch.properties", "ai.djl.pytorch:pytorch-jni:2.7.1-0.35.0")),
                resources);
    }

    /**
     * The engine, with libtorch's intra-op thread count as it was the first time this was called.
     * Loading MXNet's native library into the same process (both engines in one run) drops that
     * count to one through the OpenMP runtime they share; every later PyTorch operation would run on
     * one core. This puts it back.
     *
     * @return the engine
     */
    @Override
    public Engine engine() {
        Engine engine = super.engine();
        keepThreadCount();
        return engine;
    }

    private static synchronized void keepThreadCount() {
        if (threads == 0) {
            threads = JniUtils.getNumThreads();
        } else if (JniUtils.getNumThreads() != threads) {
            JniUtils.setNumThreads(threads);
        }
    }

    @Override
    public Optional<String> nativeLibrary() {
        engine();
        String source = System.getenv(LIBRARY_PATH_VARIABLE) != null
                ? "from " + LIBRARY_PATH_VARIABLE
                : "extracted from pytorch-native-cpu";
        return Optional.of(LibUtils.getLibtorchPath() + " (libtorch " + LibUtils.getVersion() + ", " + source + ")");
    }
}
