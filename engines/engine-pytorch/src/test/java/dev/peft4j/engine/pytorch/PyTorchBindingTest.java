package dev.peft4j.engine.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineBindingContractTest;
import org.junit.jupiter.api.Test;

class PyTorchBindingTest extends EngineBindingContractTest {

    @Override
    protected String name() {
        return "pytorch";
    }

    @Override
    protected EngineBinding bindingLookingIn(ClassLoader resources) {
        return new PyTorchBinding(resources);
    }

    /** Loading MXNet next to libtorch drops its thread count to one; the binding puts it back. */
    @Test
    void theBindingRestoresLibtorchsThreadCount() {
        PyTorchBinding binding = new PyTorchBinding();
        binding.engine();
        int threads = JniUtils.getNumThreads();
        try {
            JniUtils.setNumThreads(threads == 1 ? 2 : 1);
            binding.engine();
            assertEquals(threads, JniUtils.getNumThreads());
        } finally {
            JniUtils.setNumThreads(threads);
        }
    }

    @Override
    protected String nativeArtifact() {
        return "pytorch-native-cpu";
    }
}
