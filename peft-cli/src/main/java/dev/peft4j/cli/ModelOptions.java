package dev.peft4j.cli;

import dev.peft4j.models.CausalLm;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of commands that load a model directory with adapters: {@code --model}, {@code --adapter}, engine, device. */
final class ModelOptions {

    @Option(
            names = "--model",
            required = true,
            paramLabel = "DIR",
            description =
                    "A Hugging Face model directory: config.json, model.safetensors (or a sharded set), tokenizer.json.")
    Path model;

    @Option(
            names = "--adapter",
            paramLabel = "DIR",
            description = "A PEFT adapter directory to apply (repeatable: the adapters' updates add up).")
    List<Path> adapters = new ArrayList<>();

    @Mixin
    EngineOptions engineOptions;

    /**
     * Declares the model and adapter directories as inputs.
     *
     * @param paths the command's paths
     * @return the same paths
     * @throws PeftException when an adapter is given twice
     */
    CommandPaths declare(CommandPaths paths) {
        Set<Path> distinct = new HashSet<>();
        for (Path adapter : adapters) {
            if (!distinct.add(adapter.toAbsolutePath().normalize())) {
                throw new PeftException("--adapter " + adapter + " is given twice; each adapter applies once");
            }
        }
        paths.readsDirectory("--model", model);
        adapters.forEach(adapter -> paths.readsDirectory("--adapter", adapter));
        return paths;
    }

    /**
     * Loads the model and applies the adapters, named {@code adapter0}, {@code adapter1}, ….
     *
     * @param plugins the plugin registry
     * @return the model
     */
    CausalLm load(Plugins plugins) {
        CausalLm lm = CausalLm.load(model, engineOptions.backend(plugins));
        try {
            for (int i = 0; i < adapters.size(); i++) {
                lm.loadAdapter("adapter" + i, adapters.get(i));
            }
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        return lm;
    }
}
