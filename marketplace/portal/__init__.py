"""The portal: the home page that shows what the platform holds."""
