package dev.peft4j.engine.mxnet;

import com.google.auto.service.AutoService;
import dev.peft4j.spi.DjlEngineBinding;
import dev.peft4j.spi.EngineBinding;
import java.util.List;

/**
 * The {@code mxnet} engine: DJL's MXNet engine on MXNet 1.9.1. Its native libraries come from
 * {@code mxnet-native-mkl} (or {@code mxnet-native-cu112mkl} with the {@code cuda} profile).
 */
@AutoService(EngineBinding.class)
public final class MxNetBinding extends DjlEngineBinding {

    /** Creates the binding, looking for the native jar on this class's class path. */
    public MxNetBinding() {
        this(MxNetBinding.class.getClassLoader());
    }

    /**
     * Creates the binding, looking for the native jar through a class loader.
     *
     * @param resources where the native jar must be visible
     */
    MxNetBinding(ClassLoader resources) {
        super(
                "mxnet",
                "MXNet",
                1,
                List.of(new NativeJar(
                        "native/lib/mxnet.properties", "ai.djl.mxnet:mxnet-native-mkl:1.9.1:" + platform())),
                resources);
    }
}
