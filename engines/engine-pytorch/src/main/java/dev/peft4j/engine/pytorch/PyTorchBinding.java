package dev.peft4j.engine.pytorch;

import com.google.auto.service.AutoService;
import dev.peft4j.spi.DjlEngineBinding;
import dev.peft4j.spi.EngineBinding;
import java.util.List;

/**
 * The {@code pytorch} engine: DJL's PyTorch engine on libtorch 2.7.1, the preferred engine. Its
 * native libraries come from {@code pytorch-native-cpu} (or {@code pytorch-native-cu128} with the
 * {@code cuda} profile) and {@code pytorch-jni}.
 */
@AutoService(EngineBinding.class)
public final class PyTorchBinding extends DjlEngineBinding {

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
                                "ai.djl.pytorch:pytorch-native-cpu:2.7.1:" + platform()),
                        new NativeJar("jnilib/pytorch.properties", "ai.djl.pytorch:pytorch-jni:2.7.1-0.35.0")),
                resources);
    }
}
