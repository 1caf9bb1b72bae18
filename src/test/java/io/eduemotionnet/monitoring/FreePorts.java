package io.eduemotionnet.monitoring;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** A free local TCP port (asked from the OS, then released for the server that will bind it). */
final class FreePorts {
    private FreePorts() {}

    static int find() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
