package dev.peft4j.engine.pytorch;

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

    @Override
    public Optional<String> nativeLibrary() {
        engine();
        String source = System.getenv(LIBRARY_PATH_VARIABLE) != null
                ? "from " + LIBRARY_PATH_VARIABLE
                : "extracted from pytorch-native-cpu";
        return Optional.of(LibUtils.getLibtorchPath() + " (libtorch " + LibUtils.getVersion() + ", " + source + ")");
    }
}
