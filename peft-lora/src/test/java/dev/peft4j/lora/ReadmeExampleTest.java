package dev.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import dev.peft4j.core.Backend;
import dev.peft4j.core.PeftModel;
import dev.peft4j.core.TargetModules;
import dev.peft4j.core.train.GcSafeL2Loss;
import dev.peft4j.spi.AdapterConfig;
import dev.peft4j.spi.Plugins;
import dev.peft4j.testkit.TestModels;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java example, kept compiling and working. */
class ReadmeExampleTest {

    @TempDir
    Path dir;

    @Test
    void wrapTrainMergeUnloadSave() throws IOException, MalformedModelException {
        Backend backend = Backend.select(null, null, Plugins.defaults());
        try (Model model = backend.newModel("mlp")) {
            SequentialBlock mlp = new SequentialBlock()
                    .add(Linear.builder().setUnits(64).build())
                    .add(Activation::relu)
                    .add(Linear.builder().setUnits(8).build());
            mlp.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 32));

            PeftModel peft = PeftModel.wrap(mlp)
                    .addAdapter(
                            "default",
                            AdapterConfig.builder("lora")
                                    .setRank(8)
                                    .optAlpha(16)
                                    .build(),
                            TargetModules.names("0", "2"));
            assertEquals(
                    "trainable params: 1,344 || all params: 3,976 || trainable%: 33.8028",
                    peft.parameterReport().toString());
            model.setBlock(peft.block());

            NDManager manager = model.getNDManager();
            NDArray x = manager.randomNormal(new Shape(64, 32));
            NDArray y = manager.randomNormal(new Shape(64, 8));
            ArrayDataset dataset = new ArrayDataset.Builder()
                    .setData(x)
                    .optLabels(y)
                    .setSampling(16, true)
                    .build();

            DefaultTrainingConfig config = new DefaultTrainingConfig(new GcSafeL2Loss())
                    .optOptimizer(Optimizer.adam()
                            .optLearningRateTracker(Tracker.fixed(1e-2f))
                            .build());
            float before = loss(peft.block(), x, y);
            try (Trainer trainer = model.newTrainer(config)) {
                for (int epoch = 0; epoch < 10; epoch++) {
                    for (Batch batch : trainer.iterateDataset(dataset)) {
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                        batch.close();
                    }
                }
            } catch (TranslateException e) {
                throw new IllegalStateException(e);
            }
            float trained = loss(peft.block(), x, y);
            assertTrue(trained < before, "training lowered the loss: " + before + " → " + trained);
            peft.merge();
            assertEquals(trained, loss(peft.block(), x, y), 1e-4f, "the merged model computes the same");

            model.setBlock(peft.mergeAndUnload());
            model.save(dir, "mlp");

            try (Model reloaded = backend.newModel("mlp")) {
                SequentialBlock plain = new SequentialBlock()
                        .add(Linear.builder().setUnits(64).build())
                        .add(Activation::relu)
                        .add(Linear.builder().setUnits(8).build());
                plain.initialize(reloaded.getNDManager(), DataType.FLOAT32, new Shape(1, 32));
                reloaded.setBlock(plain);
                reloaded.load(dir, "mlp");
                NDManager other = reloaded.getNDManager();
                assertEquals(
                        trained,
                        loss(
                                plain,
                                other.create(x.toFloatArray(), x.getShape()),
                                other.create(y.toFloatArray(), y.getShape())),
                        1e-4f,
                        "the saved model loads into the plain block");
            }
        }
    }

    private static float loss(Block block, NDArray x, NDArray y) {
        return TestModels.predict(block, x).sub(y).square().mean().getFloat();
    }
}
