"""saywhen text turn model: data, rendering, training helpers."""
