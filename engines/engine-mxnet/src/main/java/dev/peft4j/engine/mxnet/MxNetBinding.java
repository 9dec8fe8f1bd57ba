package dev.peft4j.engine.mxnet;

import ai.djl.mxnet.jna.LibUtils;
import com.google.auto.service.AutoService;
import dev.peft4j.spi.DjlEngineBinding;
import dev.peft4j.spi.EngineBinding;
import java.util.List;
import java.util.Optional;

/**
 * The {@code mxnet} engine: DJL's MXNet engine on MXNet 1.9.1. Its native library comes from
 * {@code mxnet-native-mkl} (x86-64 only), or from a {@code libmxnet} the user has, named by the
 * environment variable {@value #LIBRARY_PATH_VARIABLE} as DJL reads it.
 */
@AutoService(EngineBinding.class)
public final class MxNetBinding extends DjlEngineBinding {

    /** DJL's environment variable for a libmxnet installed outside Maven. */
    public static final String LIBRARY_PATH_VARIABLE = "MXNET_LIBRARY_PATH";

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
                        "native/lib/mxnet.properties",
                        "ai.djl.mxnet:mxnet-native-mkl:1.9.1:" + platform(),
                        LIBRARY_PATH_VARIABLE)),
                resources);
    }

    @Override
    public Optional<String> nativeLibrary() {
        engine();
        String source = System.getenv(LIBRARY_PATH_VARIABLE) != null
                ? "from " + LIBRARY_PATH_VARIABLE
                : "extracted from mxnet-native-mkl";
        return Optional.of(LibUtils.getLibName() + " (" + source + ")");
    }
}
