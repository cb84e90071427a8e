//! The operator's decrypted keys in memory: the account key that signs transactions and the
//! attestation key that signs results.

use k256::ecdsa::signature::hazmat::PrehashSigner;
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};
use zeroize::Zeroizing;

use super::address::{account_address, validate_prefix};
use super::hd::{
    account_path, attestation_path, check_attestation_index, compressed_pubkey, derive_signing_key,
    Mnemonic, FIRST_ATTESTATION_INDEX,
};
use super::public::PublicKeyInfo;
use super::KeyError;

/// Both operator keys, derived from one mnemonic (see [`super::hd`] for the paths).
///
/// Secret material is wiped on drop (`k256` zeroizes its scalars, [`Mnemonic`] its words) and
/// `Debug` shows public data only.
pub struct OperatorKeys {
    mnemonic: Mnemonic,
    bech32_prefix: String,
    account: SigningKey,
    account_address: String,
    attestation: SigningKey,
    attestation_index: u32,
    attestation_path: String,
}

impl OperatorKeys {
    /// Fresh keys from a new 24-word mnemonic, attestation key at index 1.
    pub fn generate(bech32_prefix: &str) -> Result<Self, KeyError> {
        Self::from_mnemonic(
            Mnemonic::generate()?,
            bech32_prefix,
            FIRST_ATTESTATION_INDEX,
        )
    }

    /// Keys from an existing mnemonic phrase (12 to 24 words).
    pub fn from_phrase(
        phrase: &str,
        bech32_prefix: &str,
        attestation_index: u32,
    ) -> Result<Self, KeyError> {
        Self::from_mnemonic(Mnemonic::parse(phrase)?, bech32_prefix, attestation_index)
    }

    pub fn from_mnemonic(
        mnemonic: Mnemonic,
        bech32_prefix: &str,
        attestation_index: u32,
    ) -> Result<Self, KeyError> {
        validate_prefix(bech32_prefix)?;
        check_attestation_index(attestation_index)?;
        let seed = mnemonic.to_seed("");
        let account = derive_signing_key(seed.as_slice(), &account_path())?;
        let account_address = account_address(&compressed_pubkey(&account), bech32_prefix)?;
        let attestation_path = attestation_path(attestation_index)?;
        let attestation = derive_signing_key(seed.as_slice(), &attestation_path)?;
        Ok(Self {
            mnemonic,
            bech32_prefix: bech32_prefix.to_owned(),
            account,
            account_address,
            attestation,
            attestation_index,
            attestation_path,
        })
    }

    pub fn bech32_prefix(&self) -> &str {
        &self.bech32_prefix
    }

    /// The account address under this key set's bech32 prefix.
    pub fn account_address(&self) -> &str {
        &self.account_address
    }

    /// The account address under another chain's prefix (same key, different bech32 prefix).
    pub fn account_address_with_prefix(&self, prefix: &str) -> Result<String, KeyError> {
        account_address(&self.account_pubkey(), prefix)
    }

    /// Compressed SEC1 public key of the account key.
    pub fn account_pubkey(&self) -> [u8; 33] {
        compressed_pubkey(&self.account)
    }

    /// Compressed SEC1 public key of the attestation key, as registered in the staking contract.
    pub fn attestation_pubkey(&self) -> [u8; 33] {
        compressed_pubkey(&self.attestation)
    }

    pub fn attestation_index(&self) -> u32 {
        self.attestation_index
    }

    /// The attestation key's derivation path, `m/44'/118'/<index>'/0/0`.
    pub fn attestation_path(&self) -> &str {
        &self.attestation_path
    }

    /// The account signing key, for transaction builders that need the key itself.
    pub fn account_signing_key(&self) -> &SigningKey {
        &self.account
    }

    /// Signs a 32-byte attestation digest with the attestation key: a 64-byte compact `r || s`
    /// signature with low S, the form cosmwasm's `secp256k1_verify(digest, signature, pubkey)`
    /// accepts.
    pub fn sign_attestation(&self, digest: &[u8; 32]) -> Result<[u8; 64], KeyError> {
        let signature: Signature =
            self.attestation
                .sign_prehash(digest)
                .map_err(|err| KeyError::Signing {
                    reason: err.to_string(),
                })?;
        Ok(compact_low_s(signature))
    }

    /// Signs transaction sign-bytes with the account key the way the Cosmos SDK expects:
    /// ECDSA over SHA-256 of the bytes, 64-byte compact `r || s`, low S.
    pub fn sign_account(&self, sign_bytes: &[u8]) -> Result<[u8; 64], KeyError> {
        let signature: Signature =
            self.account
                .try_sign(sign_bytes)
                .map_err(|err| KeyError::Signing {
                    reason: err.to_string(),
                })?;
        Ok(compact_low_s(signature))
    }

    /// The attestation key and its proof of possession for `RegisterOperator` or
    /// `RotateAttestationKey`: a signature over `sibyl_api::attestation::key_possession_digest`
    /// for `account` on `staking` on `chain_id`.
    pub fn attestation_key_proof(
        &self,
        chain_id: &str,
        staking: &str,
        account: &str,
    ) -> Result<AttestationKeyProof, KeyError> {
        let pubkey = self.attestation_pubkey();
        let digest =
            sibyl_api::attestation::key_possession_digest(chain_id, staking, account, &pubkey);
        let signature = self.sign_attestation(&digest)?;
        Ok(AttestationKeyProof {
            attestation_pubkey: cosmwasm_std::Binary::from(pubkey.to_vec()),
            key_signature: cosmwasm_std::Binary::from(signature.to_vec()),
        })
    }

    /// Moves the attestation key to the next account index and returns the new index. The caller
    /// saves the key file and then sends `RotateAttestationKey` with the new public key.
    pub fn rotate_attestation(&mut self) -> Result<u32, KeyError> {
        let next =
            self.attestation_index
                .checked_add(1)
                .ok_or(KeyError::InvalidAttestationIndex {
                    index: u32::MAX,
                    max: super::hd::MAX_ATTESTATION_INDEX,
                })?;
        let path = attestation_path(next)?;
        let seed = self.mnemonic.to_seed("");
        self.attestation = derive_signing_key(seed.as_slice(), &path)?;
        self.attestation_index = next;
        self.attestation_path = path;
        Ok(next)
    }

    /// The mnemonic phrase. Only for an explicit operator request (`keys show --mnemonic`).
    pub fn mnemonic_phrase(&self) -> Zeroizing<String> {
        self.mnemonic.phrase()
    }

    pub(crate) fn mnemonic(&self) -> &Mnemonic {
        &self.mnemonic
    }

    /// Everything public about these keys.
    pub fn public_info(&self) -> PublicKeyInfo {
        PublicKeyInfo {
            bech32_prefix: self.bech32_prefix.clone(),
            account_address: self.account_address.clone(),
            account_pubkey: self.account_pubkey(),
            account_path: account_path(),
            attestation_index: self.attestation_index,
            attestation_pubkey: self.attestation_pubkey(),
            attestation_path: self.attestation_path.clone(),
        }
    }
}

/// k256 already produces low-S signatures; normalising again documents and enforces the contract.
fn compact_low_s(signature: Signature) -> [u8; 64] {
    let normalized = signature.normalize_s().unwrap_or(signature);
    normalized.to_bytes().into()
}

impl std::fmt::Debug for OperatorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorKeys")
            .field("account_address", &self.account_address)
            .field("attestation_index", &self.attestation_index)
            .field("secrets", &"<redacted>")
            .finish()
    }
}

/// An attestation public key with its proof of possession, as the staking contract takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestationKeyProof {
    pub attestation_pubkey: cosmwasm_std::Binary,
    pub key_signature: cosmwasm_std::Binary,
}
