package dev.peft4j.engine.pytorch;

import dev.peft4j.spi.EngineBinding;
import dev.peft4j.testkit.EngineBindingContractTest;

class PyTorchBindingTest extends EngineBindingContractTest {

    @Override
    protected String name() {
        return "pytorch";
    }

    @Override
    protected EngineBinding bindingLookingIn(ClassLoader resources) {
        return new PyTorchBinding(resources);
    }

    @Override
    protected String nativeArtifact() {
        return "pytorch-native-cpu";
    }
}
