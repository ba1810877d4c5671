"""The embedded local AWS stack: moto server on 127.0.0.1, provisioned, persistent, resumable."""
