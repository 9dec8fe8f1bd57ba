package dev.peft4j.dora;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.peft4j.core.ModuleTree;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.io.PathMap;
import dev.peft4j.core.io.PeftAdapters;
import dev.peft4j.safetensors.SafetensorsFile;
import dev.peft4j.spi.EngineBinding;
import dev.peft4j.spi.InPlace;
import dev.peft4j.testkit.Dense;
import dev.peft4j.testkit.EngineSource;
import dev.peft4j.testkit.TestModels;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * A DoRA adapter written by real Hugging Face PEFT (see the fixture's SOURCE.md): loaded into a
 * DJL model, its forward and its merge give PEFT's merged weights.
 */
class RealPeftDoraTest {

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(RealPeftDoraTest.class
                .getResource("/peft-dora-llama-tiny/" + name)
                .toURI());
    }

    @ParameterizedTest
    @EngineSource
    void loadsAndMergesAsPeftDoes(EngineBinding engine) throws URISyntaxException {
        try (NDManager manager =
                        NDManager.newBaseManager(Device.cpu(), engine.engine().getEngineName());
                SafetensorsFile base = SafetensorsFile.open(fixture("base.safetensors"));
                SafetensorsFile merged = SafetensorsFile.open(fixture("merged.safetensors"))) {
            List<String> modules = new ArrayList<>();
            base.tensors().keySet().forEach(name -> modules.add(name.substring(0, name.length() - ".weight".length())));
            Block model = TestModels.namedChain(manager, 64, modules);
            for (String module : modules) {
                Parameter weight = ModuleTree.parameter(model, module + ".weight");
                InPlace.copy(base.readFloats(module + ".weight"), weight.getArray());
            }
            PeftModel peft = PeftModel.wrap(model);
            PeftAdapters.load(peft, "peft", fixture("adapter_config.json").getParent(), PathMap.identity());

            // Four layers of Llama-sized weights (std 0.02) shrink their input about 300-fold.
            double[][] x = Dense.add(new double[5][64], 1000, Dense.random(new Random(4), 5, 64));
            double[][] expected = x;
            for (String module : modules) {
                double[][] w = Dense.fromArray(merged.read(module + ".weight", manager));
                expected = Dense.matmul(expected, Dense.transpose(w));
            }
            double[][] unmerged = Dense.fromArray(TestModels.predict(peft.block(), Dense.toArray(manager, x)));
            Dense.assertClose(
                    expected, unmerged, 1e-5 * Dense.scale(expected), "unmerged forward vs PEFT's merged weights");

            peft.merge();
            for (String module : modules) {
                double[][] ours =
                        Dense.fromArray(peft.layers().get(module).weight().getArray());
                double[][] theirs = Dense.fromArray(merged.read(module + ".weight", manager));
                Dense.assertClose(theirs, ours, 1e-5, module + " merged");
            }
        }
    }
}
