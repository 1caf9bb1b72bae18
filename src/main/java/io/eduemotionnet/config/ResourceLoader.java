package io.eduemotionnet.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a file named by a configuration key: a path, or {@code classpath:<resource>} inside the job jar. */
public final class ResourceLoader {
    public static final String CLASSPATH = "classpath:";

    private ResourceLoader() {}

    public static byte[] read(String location, String key) {
        if (location.startsWith(CLASSPATH)) {
            String resource = location.substring(CLASSPATH.length());
            try (InputStream in = ResourceLoader.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw new ConfigException(key, "no resource '" + resource + "' in the job jar; give a file path instead");
                }
                return in.readAllBytes();
            } catch (IOException e) {
                throw new ConfigException(key, "cannot read resource '" + resource + "': " + e.getMessage());
            }
        }
        try {
            return Files.readAllBytes(Path.of(location));
        } catch (NoSuchFileException e) {
            throw new ConfigException(key, "file '" + location + "' does not exist");
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read file '" + location + "': " + e.getMessage());
        }
    }
}
