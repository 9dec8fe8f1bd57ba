package dev.peft4j.cli;

import dev.peft4j.models.CausalLm;
import dev.peft4j.spi.PeftException;
import dev.peft4j.spi.Plugins;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
            paramLabel = "[NAME=]DIR",
            description = "A PEFT adapter directory to apply, optionally named (repeatable: the adapters' updates add"
                    + " up, unless generate's --use picks one per prompt).")
    List<String> adapters = new ArrayList<>();

    /** The adapter name that stands for the base model (generate's --use); no adapter may take it. */
    static final String BASE_MODEL = "none";

    /** NAME=DIR: a name of letters, digits, '_', '-' and '.', starting with a letter. */
    private static final Pattern NAMED = Pattern.compile("([A-Za-z][\\w.-]*)=(.+)");

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
        for (Path adapter : adapterDirectories().values()) {
            if (!distinct.add(adapter.toAbsolutePath().normalize())) {
                throw new PeftException("--adapter " + adapter + " is given twice; each adapter applies once");
            }
        }
        paths.readsDirectory("--model", model);
        adapterDirectories().values().forEach(adapter -> paths.readsDirectory("--adapter", adapter));
        return paths;
    }

    /**
     * The adapters by name: the name given as {@code NAME=DIR}, else {@code adapter0}, {@code
     * adapter1}, … by position.
     *
     * @return name → directory, in the order given
     * @throws PeftException when a name is given twice
     */
    Map<String, Path> adapterDirectories() {
        Map<String, Path> named = new LinkedHashMap<>();
        for (int i = 0; i < adapters.size(); i++) {
            Matcher matcher = NAMED.matcher(adapters.get(i));
            String name = matcher.matches() ? matcher.group(1) : "adapter" + i;
            Path directory = Path.of(matcher.matches() ? matcher.group(2) : adapters.get(i));
            if (BASE_MODEL.equals(name)) {
                throw new PeftException("--adapter " + adapters.get(i) + ": the name '" + BASE_MODEL
                        + "' stands for the base model; give the adapter another name");
            }
            if (named.put(name, directory) != null) {
                throw new PeftException("--adapter names '" + name + "' twice; give each adapter its own name");
            }
        }
        return named;
    }

    /**
     * Loads the model and applies the adapters under their names ({@link #adapterDirectories()}).
     *
     * @param plugins the plugin registry
     * @return the model
     */
    CausalLm load(Plugins plugins) {
        Map<String, Path> named = adapterDirectories();
        CausalLm lm = CausalLm.load(model, engineOptions.backend(plugins));
        try {
            named.forEach(lm::loadAdapter);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        return lm;
    }
}
