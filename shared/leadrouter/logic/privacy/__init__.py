"""Privacy: what Vietnam's personal data law and Decree 91/2020 ask of the rotation and its admins."""
